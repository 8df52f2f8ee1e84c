// The browser demo, end to end in Debian's headless Chromium: alice and
// bob make identities, exchange cards, alice sends, bob's pane shows her
// message (escaped), bob deletes it. Usage:
//   node demo.mjs http://127.0.0.1:PORT [SCREENSHOT_DIR]
// Exits non-zero, with the reason, on any failure.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { join } from 'node:path';

const [base, shots] = process.argv.slice(2);
if (!base) {
  console.error('usage: node demo.mjs http://127.0.0.1:PORT [SCREENSHOT_DIR]');
  process.exit(2);
}

// Flags for a closed network: without the background-networking ones
// Chromium keeps dialling Google's hosts. Root (CI) needs --no-sandbox.
// Playwright gives the browser a fresh, empty profile.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const failures = [];
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => failures.push('page error: ' + e.message));
  page.on('console', (m) => m.type() === 'error' && failures.push('console: ' + m.text()));
  page.on('response', (r) => r.status() >= 400 && failures.push(`HTTP ${r.status()} for ${r.url()}`));
  await page.goto(base + '/demo', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  const alice = page.locator('[data-pane="alice"]');
  const bob = page.locator('[data-pane="bob"]');

  for (const pane of [alice, bob]) {
    await pane.locator('.new-identity').click();
    await pane.locator('.ready').waitFor({ state: 'visible', timeout: 20000 });
  }
  const banner = await page.locator('#attestation').textContent();
  assert.match(banner, /^DEV attestation: nothing about the server is verified/, 'dev attestation is labelled');
  if (shots) await page.screenshot({ path: join(shots, 'demo-identities.png') });

  await page.locator('#exchange').click();
  await alice.locator('.safety').filter({ hasText: 'safety number' }).waitFor({ timeout: 10000 });
  assert.equal(await alice.locator('.safety').textContent(), await bob.locator('.safety').textContent(),
    'both panes show the same safety number');

  const text = 'hello bob, from the browser \u001b[2J';
  await alice.locator('.text').fill(text);
  await alice.locator('.send').click();
  await alice.locator('.status').filter({ hasText: /^sent$/ }).waitFor({ timeout: 20000 });

  await bob.locator('.refresh').click();
  await bob.locator('.status').filter({ hasText: /^1 message$/ }).waitFor({ timeout: 60000 });
  const shown = await bob.locator('.inbox .message .text').first().textContent();
  assert.equal(shown, 'hello bob, from the browser \\u{1b}[2J', "alice's message, control characters escaped");
  const from = await bob.locator('.inbox .message .from').first().textContent();
  // Named as the card exchange named her, not by her key (which the
  // tooltip keeps).
  const aliceKey = (await alice.locator('.key').textContent()).replace('key ', '');
  assert.ok(from.startsWith('from alice at '), `sender shown by name: ${from}`);
  assert.equal(await bob.locator('.inbox .message .from').first().getAttribute('title'), aliceKey);
  if (shots) await page.screenshot({ path: join(shots, 'demo-delivered.png') });

  // Alice's own inbox is empty: the message is bob's alone.
  await alice.locator('.refresh').click();
  await alice.locator('.status').filter({ hasText: /^0 messages$/ }).waitFor({ timeout: 60000 });

  await bob.locator('.inbox .delete').first().click();
  await bob.locator('.status').filter({ hasText: /^0 messages$/ }).waitFor({ timeout: 60000 });
  assert.equal(await bob.locator('.inbox .message').count(), 0);

  // A reload keeps the identities (local storage) and reconnects.
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await bob.locator('.ready').waitFor({ state: 'visible', timeout: 20000 });
  assert.equal((await bob.locator('.key').textContent()).length > 10, true);

  // A card that does not verify is refused with a reason.
  await alice.locator('.their-card').fill('hush-card:garbage');
  await alice.locator('.their-card').dispatchEvent('change');
  await alice.locator('.status.error').waitFor({ timeout: 10000 });
} catch (e) {
  failures.push(e.stack || String(e));
} finally {
  await browser.close();
}
if (failures.length) {
  console.error('browser demo test FAILED:\n' + failures.join('\n'));
  process.exit(1);
}
console.log('browser demo test passed: alice\'s message appeared in bob\'s pane');
