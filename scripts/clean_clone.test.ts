// A clean clone (no sibling folders) must pass its tests: the one way out of the repository is
// src/rm/importers/fixtures_node.ts, whose readers skip with a printed reason when ../shared is absent.
// `.ci/run` also collects every test file and runs that module's dependents from a copy with no ../shared.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const GATEWAY = 'src/rm/importers/fixtures_node.ts';
/** A path that climbs out of the repo into the shared folder, in code (comment lines are left out). */
const OUTSIDE = /(\.\.\/)+shared\b|['"`]shared['"`]/;

function codeLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l));
}

describe('clean clone', () => {
  it(`only ${GATEWAY} builds a path to ../shared`, () => {
    const files = execFileSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'scripts', 'e2e'],
      {
        encoding: 'utf8',
      },
    )
      .split('\n')
      .filter((f) => /\.(ts|tsx|mjs)$/.test(f) && f !== GATEWAY && f !== 'scripts/clean_clone.test.ts');
    const offenders = files.filter((f) => codeLines(f).some((l) => OUTSIDE.test(l)));
    expect(offenders).toEqual([]);
    expect(codeLines(GATEWAY).some((l) => OUTSIDE.test(l))).toBe(true); // the check itself can see a path
  });
});
