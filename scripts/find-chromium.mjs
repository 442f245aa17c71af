#!/usr/bin/env node
// Finds a system Chromium for the e2e tests and for Node's WebGPU (its SwiftShader Vulkan driver).
// Playwright must not download browsers here. With --install, on Debian as root with none found,
// installs Debian's `chromium`; elsewhere it says exactly what to install.
import { existsSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
];

export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function isDebian() {
  try {
    return /debian|ubuntu/i.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

export function ensureChromium({ install }) {
  const found = findChromium();
  if (found) return found;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (install && root && isDebian()) {
    console.log("No Chromium found: installing Debian's chromium (apt-get install chromium)...");
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', {
      stdio: 'inherit',
    });
    return findChromium();
  }
  console.error(
    [
      'No Chromium found for the browser tests.',
      '  Debian/Ubuntu: sudo apt-get install chromium   (Ubuntu: chromium-browser)',
      '  Fedora: sudo dnf install chromium    macOS: install Google Chrome, then ' +
        'CHROMIUM_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"',
      '  Or point CHROMIUM_PATH at any Chromium 121+ binary.',
    ].join('\n'),
  );
  return null;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = ensureChromium({ install: process.argv.includes('--install') });
  if (!path) process.exit(1);
  console.log(`Chromium: ${path}`);
}
