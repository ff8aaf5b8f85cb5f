/**
 * Debian's headless Chromium as the browser tests drive it (`.ci/run` installs it): where it is,
 * whether it is there, and one launch with the same flags for every test (no sandbox, GPU, QUIC,
 * background networking, component updates or sync: nothing leaves loopback).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether {@link CHROMIUM} is installed. */
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** Launches {@link CHROMIUM} headless; `timeoutMs` bounds the launch (playwright's default when absent). */
export function launchChromium(timeoutMs?: number): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
