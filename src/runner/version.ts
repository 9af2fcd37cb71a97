/** The software version written into every report line (kept equal to package.json by a test). */
export const SOFTWARE_VERSION = '0.1.0';
