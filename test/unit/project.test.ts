/**
 * Project invariants: the README's first commands, CI running the README's test command, the
 * version in reports, and the one-way imports between layers (style.md section 4).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SOFTWARE_VERSION } from '../../src/runner/version.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f: string): string => readFileSync(path.join(ROOT, f), 'utf8');

describe('README and CI', () => {
  it('the README opens with the install-and-run command and the test command', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(read('README.md'))?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm start\b/m);
    expect(firstBlock).toMatch(/^npm ci && npm test\b/m);
    // `censorprobe` is put on PATH from the clone; npx would fetch whatever is published under the name.
    expect(firstBlock).toMatch(/npm link|npm install -g \./);
    expect(read('README.md')).not.toMatch(/npx censorprobe/);
  });
  it('npm test first installs (or names) the lab system packages, as .ci/run does', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['pretest']).toBe('sh scripts/lab-packages.sh');
    for (const p of ['nftables', 'dnsutils', 'iproute2', 'curl', 'chromium']) {
      expect(read('scripts/lab-packages.sh')).toContain(p);
      expect(read('.ci/run')).toContain(p);
    }
  });
  it('.ci/run runs the README test command', () => {
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });
  it('reports carry the package version', () => {
    expect(SOFTWARE_VERSION).toBe((JSON.parse(read('package.json')) as { version: string }).version);
  });
});

describe('the command (bin/censorprobe.js)', () => {
  it('is a type-checked call of src/cli/launch.ts (run from dist/), nothing else', () => {
    const bin = read('bin/censorprobe.js');
    expect(bin).toMatch(/^#!\/usr\/bin\/env node\n\/\/ @ts-check\n/);
    const code = bin.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('//') && !l.startsWith('#!'));
    expect(code).toEqual(["import { launch } from '#cli/launch';", 'await launch(import.meta.url);']);
    // Node takes `default` (the build); tsc takes `types` (the source), so the check needs no build.
    const pkg = JSON.parse(read('package.json')) as { bin: unknown; imports: Record<string, unknown>; files: string[] };
    expect(pkg.bin).toEqual({ censorprobe: 'bin/censorprobe.js' });
    expect(pkg.imports['#cli/launch']).toEqual({ types: './src/cli/launch.ts', default: './dist/cli/launch.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['bin', 'dist']));
    const tsconfig = JSON.parse(read('tsconfig.json')) as { include: string[]; compilerOptions: { allowJs?: boolean } };
    expect(tsconfig.include).toContain('bin/censorprobe.js');
    expect(tsconfig.compilerOptions.allowJs).toBe(true);
  });
});

/** Which src/ folders each folder may import (style.md section 4, with src/lab and src/ooni added). */
const ALLOWED: Record<string, string[]> = {
  model: [],
  net: ['model'],
  classify: ['model'],
  targets: ['model'],
  report: ['model'],
  flows: ['model', 'net'],
  ooni: ['model', 'classify'],
  control: ['model', 'net', 'flows', 'classify'],
  throttling: ['model'],
  outage: ['model', 'net', 'flows'],
  runner: ['model', 'net', 'flows', 'control', 'classify', 'targets', 'report', 'throttling', 'outage'],
  lab: ['model', 'net', 'flows', 'control', 'classify', 'targets', 'report', 'runner'],
  present: ['model'],
  cli: ['model', 'net', 'flows', 'control', 'classify', 'targets', 'report', 'runner', 'lab', 'ooni', 'throttling', 'outage', 'present'],
};

/** Packages reserved to some layers (docs/architecture.md). */
const PACKAGE_LAYERS: Record<string, string[]> = {
  undici: ['net'],
  'dns-packet': ['net', 'lab'],
  commander: ['cli'],
  chalk: ['cli'],
  'cli-progress': ['cli'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layering', () => {
  for (const file of files(path.join(ROOT, 'src'))) {
    const rel = path.relative(path.join(ROOT, 'src'), file);
    const layer = rel.split(path.sep)[0] as string;
    it(`${rel} imports only what its layer may`, () => {
      const allowed = ALLOWED[layer];
      expect(allowed, `unknown layer ${layer}`).toBeDefined();
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/from '(\.[^']+)'/g)) {
        const target = path.relative(path.join(ROOT, 'src'), path.resolve(path.dirname(file), m[1] as string));
        const targetLayer = target.split(path.sep)[0] as string;
        if (targetLayer === layer) continue;
        expect(allowed, `${rel} imports ${m[1]}`).toContain(targetLayer);
      }
      // Packages that define a layer's job stay in it (docs/architecture.md): one HTTP stack, one
      // DNS wire codec (the lab's servers speak DNS too), one CLI framework.
      for (const m of src.matchAll(/(?:from |import\()'([^.'][^']*)'/g)) {
        const pkg = (m[1] as string).split('/')[0] as string;
        const only = PACKAGE_LAYERS[pkg];
        if (only !== undefined) expect(only, `${rel} imports ${pkg}, reserved to ${only.join(', ')}`).toContain(layer);
      }
      // Process entry points (the CLI, and the lab's world process `*-main.ts`) may touch the process.
      if (layer !== 'cli' && !rel.endsWith('-main.ts')) {
        expect(src, 'only cli uses commander/chalk').not.toMatch(/from '(commander|chalk)'/);
        expect(src, 'only cli touches process').not.toMatch(/\bprocess\.(exit|argv|stdout|stderr|stdin)\b/);
      }
    });
  }
});
