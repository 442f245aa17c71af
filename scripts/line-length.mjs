#!/usr/bin/env node
// Source lines stay within 120 characters (the formatter wraps code; this catches comments and strings it
// leaves alone). Prints each long line as file:line and exits 1 when there is any.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const files = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'scripts', 'e2e', '*.ts'],
  {
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => /\.(ts|tsx|mjs|js|css)$/.test(f));
let long = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    if ([...line].length > MAX) {
      long++;
      console.log(`${file}:${i + 1}: ${[...line].length} characters (max ${MAX})`);
    }
  });
}
console.log(long ? `${long} lines over ${MAX} characters` : `line length: all ${files.length} files within ${MAX}`);
process.exit(long ? 1 : 0);
