// Headless Chromium (Debian's) for the report tests, launched once per test file and closed after it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
});

async function launched(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    assert.fail(`${CHROMIUM} is missing: the report tests need Chromium. Install it with: apt-get install chromium chromium-driver (see README, Install)`);
  }
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  return browser;
}

/** A fresh page of a 1280×900 window. */
export async function newPage(): Promise<Page> {
  return (await launched()).newPage({ viewport: { width: 1280, height: 900 } });
}

/** A fresh browser profile of 1280×900 windows, whose pages share cookies like the tabs of one browser. */
export async function newContext(): Promise<BrowserContext> {
  return (await launched()).newContext({ viewport: { width: 1280, height: 900 } });
}
