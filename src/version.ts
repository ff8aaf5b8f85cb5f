/** The version of this package, kept equal to `package.json` (a test checks). */
export const VERSION = '0.1.0';
