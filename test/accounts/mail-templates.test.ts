// The accounts module's messages: each renders both parts with its links written out in full in
// the text part and linked in the HTML part, and escapes what users typed.
import t from 'tap';
import '../../src/modules/accounts/accounts.mail.js';
import { renderMail, type MailTemplateName, type MailTemplates } from '../../src/modules/mail/mail.templates.js';
import { testConfig } from '../helper.js';

const base = 'https://portal.example.gov.uk';
const name = '<b>Asha</b> & Co';
const messages: { [N in Exclude<MailTemplateName, 'verify-email' | 'staff-invite'>]?: { data: MailTemplates[N]; subject: RegExp; links: string[] } } = {
  'account-exists': { data: { name, signInLink: `${base}/sign-in`, resetLink: `${base}/forgotten-password` }, subject: /^You already have an account/, links: [`${base}/sign-in`, `${base}/forgotten-password`] },
  'reset-password': { data: { name, link: `${base}/reset-password/abc`, expiresInHours: 1 }, subject: /^Reset your Portal password$/, links: [`${base}/reset-password/abc`] },
  'confirm-new-email': { data: { name, link: `${base}/confirm-email/abc`, expiresInHours: 24 }, subject: /^Confirm your new email address/, links: [`${base}/confirm-email/abc`] },
  'email-change': { data: { name, newEmail: 'new@example.org', resetLink: `${base}/forgotten-password` }, subject: /change of email address was requested/, links: [`${base}/forgotten-password`] },
  'email-changed': { data: { name, newEmail: 'new@example.org', resetLink: `${base}/forgotten-password` }, subject: /has changed$/, links: [`${base}/forgotten-password`] },
  'password-changed': { data: { name, resetLink: `${base}/forgotten-password` }, subject: /password has changed$/, links: [`${base}/forgotten-password`] },
};

t.test('every account message renders, links in full, user input escaped in HTML', async (t) => {
  const config = testConfig(t, { SERVICE_NAME: 'Portal', PUBLIC_URL: base });
  for (const [template, { data, subject, links }] of Object.entries(messages)) {
    const mail = renderMail(template, data as never, config);
    t.match(mail.subject, subject, `${template}: subject`);
    t.match(mail.text, `Dear ${name},`, `${template}: the name as typed in the text part`);
    t.match(mail.html, 'Dear &lt;b&gt;Asha&lt;/b&gt; &amp; Co,', `${template}: escaped in HTML`);
    t.notMatch(mail.html, /<b>Asha/);
    for (const link of links) {
      t.ok(mail.text.split('\n').includes(link), `${template}: ${link} on a line of its own`);
      t.match(mail.html, `href="${link}"`, `${template}: ${link} linked`);
    }
    t.notMatch(mail.text.replaceAll(name, ''), /<[a-z]/i, `${template}: no markup in the text part`);
  }
  t.match(renderMail('reset-password', messages['reset-password']!.data, config).text, /works for 1 hour and only once/);
});
