import { Command } from 'commander';
import type { Io } from '../io.js';
export function reportCommand(_io: Io, _setExit: (code: number) => void): Command {
  return new Command('report');
}
