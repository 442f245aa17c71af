// Test helper: one of scripts/*.ts run as the user runs it (through tsx, in a child process), with its exit
// status and everything it printed; asynchronous, so a stand-in Hub in the test's own process keeps serving.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

export function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, [join('scripts', script), ...args], { env: { ...process.env, ...env } });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
