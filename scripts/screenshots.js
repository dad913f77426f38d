// Screenshots of the operator console and the supervisor page at 1366x768, for anyone to look at
// (`npm run screenshots`; written to ./screenshots/, not committed). Starts `zvonar demo --console`
// on a free port with its own registry, signs in as the demo operator in Debian's Chromium, takes
// the call the demo's "operator" callee hands off, and signs in as the supervisor.
// Needs `npm run build` and /usr/bin/chromium (CHROMIUM=... to use another).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const out = process.argv[2] ?? 'screenshots';
mkdirSync(out, { recursive: true });
const demo = spawn(process.execPath, ['bin/zvonar.js', 'demo', '--console', '--data', mkdtempSync(join(tmpdir(), 'zvonar-shots-'))], {
  env: { ...process.env, ZVONAR_METRICS_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let text = '';
  demo.stdout.on('data', (d) => {
    text += d;
    const m = /operator console: (http:\/\/\S+)\/console/.exec(text);
    if (m) resolve(m[1]);
  });
  demo.on('exit', (code) => reject(new Error(`the demo exited (${code}) before serving the console:\n${text}`)));
  setTimeout(() => reject(new Error(`no console within 120 s:\n${text}`)), 120_000).unref();
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const signIn = async (login, password) => {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'ru-RU' })).newPage();
    await page.goto(`${url}/console`);
    await page.screenshot({ path: join(out, 'sign-in.png') });
    await page.getByTestId('login').fill(login);
    await page.getByTestId('password').fill(password);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('sign-out').waitFor();
    return page;
  };
  const maria = await signIn('maria', 'demo-operator');
  await maria.getByTestId('presence').selectOption('available');
  await maria.getByTestId('accept').waitFor({ timeout: 180_000 });
  await maria.waitForTimeout(500);
  await maria.screenshot({ path: join(out, 'console-offer.png') });
  await maria.getByTestId('accept').click();
  await maria.getByTestId('hangup').waitFor();
  await maria.waitForTimeout(1500);
  await maria.screenshot({ path: join(out, 'console-on-the-line.png') });
  await maria.getByTestId('hangup').click();
  await maria.getByTestId('wrap-up').waitFor();
  await maria.screenshot({ path: join(out, 'console-wrap-up.png') });
  const olga = await signIn('olga', 'demo-supervisor');
  await olga.goto(`${url}/campaigns`);
  await olga.getByRole('table').waitFor();
  await olga.locator('tbody a').first().click();
  await olga.getByTestId('detail').waitFor();
  await olga.screenshot({ path: join(out, 'campaigns.png') });
  console.log(`screenshots in ${out}/: sign-in.png console-offer.png console-on-the-line.png console-wrap-up.png campaigns.png`);
} finally {
  await browser.close();
  demo.kill('SIGINT');
}
