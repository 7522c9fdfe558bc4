// Mail templates: the shared layouts, the verify-email message, escaping, and what queueMail refuses.
import t from 'tap';
import { assertMailTemplate, renderMail } from '../../src/modules/mail/mail.templates.js';
import { testConfig } from '../helper.js';

const link = 'https://portal.example.gov.uk/account/verify?token=abc123&next=%2Fopportunities';

t.test('verify-email: subject, both parts in the layout, the link written out in full, what to do if not asked for', async (t) => {
  const config = testConfig(t, { SERVICE_NAME: 'Find it in Sandwell', COUNCIL_NAME: 'Sandwell Council', PUBLIC_URL: 'https://portal.example.gov.uk' });
  const mail = renderMail('verify-email', { name: 'Asha Patel', link, expiresInHours: 24 }, config);

  t.equal(mail.subject, 'Confirm your email address for Find it in Sandwell');

  t.match(mail.text, /^Find it in Sandwell – Sandwell Council\n/, 'the text part starts with the service and council');
  t.match(mail.text, /Dear Asha Patel,/);
  t.ok(mail.text.split('\n').includes(link), 'the text part has the whole link on a line of its own, unescaped');
  t.match(mail.text, /works for 24 hours/);
  t.match(mail.text, /If you did not create an account, you can ignore this email/);
  t.match(mail.text, /https:\/\/portal\.example\.gov\.uk\n$/, 'the footer ends with the service address');
  t.notMatch(mail.text, /<[a-z]/i, 'no markup in the text part');
  t.notMatch(mail.text, /\n\n\n/, 'no runs of blank lines');

  t.match(mail.html, /^<!DOCTYPE html>\n<html lang="en">/);
  t.match(mail.html, /<title>Confirm your email address for Find it in Sandwell<\/title>/);
  t.match(mail.html, />Sandwell Council</);
  t.match(mail.html, />Find it in Sandwell</);
  const escapedLink = link.replace(/&/g, '&amp;');
  t.match(mail.html, `<a href="${escapedLink}"`, 'the link, its & escaped as HTML requires');
  t.match(mail.html, `>${escapedLink}<`, 'the address is also written out for copying');
  t.match(mail.html, /If you did not create an account, you can ignore this email/);
  t.notMatch(mail.html, /<style|<script|<img/, 'inline styles only, no scripts or images');

  const once = renderMail('verify-email', { name: 'Asha', link, expiresInHours: 1 }, config);
  t.match(once.text, /works for 1 hour and/, 'singular for one hour');
});

t.test('template data is escaped in HTML and left as typed in the text part', async (t) => {
  const config = testConfig(t, { COUNCIL_NAME: 'Dudley & District <Council>' });
  const name = '<script>alert("x")</script> O\'Brien & Sons';
  const mail = renderMail('verify-email', { name, link, expiresInHours: 24 }, config);
  t.notMatch(mail.html, /<script/i, 'no script element in the HTML');
  t.match(mail.html, 'Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; Sons,');
  t.match(mail.html, 'Dudley &amp; District &lt;Council&gt;', 'brand settings are escaped too');
  t.match(mail.text, `Dear ${name},`, 'plain text is not HTML: no entities');
  t.match(mail.subject, /^Confirm your email address/);
});

t.test('queueMail refuses what could not be rendered later', async (t) => {
  t.throws(() => assertMailTemplate('no-such-template', {}), /mail template "no-such-template" has no emails\/no-such-template\.subject\.eta/);
  t.throws(() => assertMailTemplate('../layout', {}), /invalid mail template name/);
  t.throws(() => assertMailTemplate('verify-email', { name: 'A', link, expiresInHours: 24, sentAt: new Date() }), /data\.sentAt must be JSON, not a Date/);
  t.throws(() => assertMailTemplate('verify-email', { name: 'A', link, expiresInHours: Number.NaN }), /data\.expiresInHours is not a finite number/);
  t.throws(() => assertMailTemplate('verify-email', { name: undefined }), /data\.name must be JSON, not undefined/);
  t.throws(() => assertMailTemplate('verify-email', { name: 'A', link, expiresInHours: 24, brand: 'x' }), /reserved key "brand"/);
  t.throws(() => assertMailTemplate('verify-email', ['a']), /must be an object/);
  t.doesNotThrow(() => assertMailTemplate('verify-email', { name: 'A', link, expiresInHours: 24, extra: [1, null, { ok: true }] }));
});
