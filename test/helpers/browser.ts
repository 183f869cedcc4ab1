/** A headless Chromium for browser tests (Debian's chromium-headless-shell, which scripts/system-deps.sh installs). */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium'];

export function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.EDIFF_CHROMIUM ?? CANDIDATES.find((p) => existsSync(p));
  if (!executablePath) throw new Error('no Chromium: run `bash scripts/system-deps.sh` (it installs chromium-headless-shell) or set EDIFF_CHROMIUM to one');
  // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}
