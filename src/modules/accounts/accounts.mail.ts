/**
 * The messages the accounts module sends, declared into MailTemplates (see mail.templates.ts) so
 * queueMail() checks their data, and the links they carry (absolute, from PUBLIC_URL).
 *
 *   verify-email       new account → its address: confirm it (24 h)
 *   account-exists     someone registered with an address that has an account → that address
 *   reset-password     forgotten password → the account's address (1 h, single use)
 *   confirm-new-email  change of email → the NEW address: confirm it (24 h)
 *   email-change       change of email asked for → the OLD address, a heads-up
 *   email-changed      change of email done → the OLD address
 *   password-changed   password changed or reset → the account's address
 */
import type { Config } from '../../config.js';

declare module '../mail/mail.templates.js' {
  interface MailTemplates {
    'account-exists': { name: string; signInLink: string; resetLink: string };
    'reset-password': { name: string; link: string; expiresInHours: number };
    'confirm-new-email': { name: string; link: string; expiresInHours: number };
    'email-change': { name: string; newEmail: string; resetLink: string };
    'email-changed': { name: string; newEmail: string; resetLink: string };
    'password-changed': { name: string; resetLink: string };
  }
}

/** Absolute links for mail: PUBLIC_URL (no trailing slash) + a local path. */
export function linkTo(config: Config, path: string): string {
  return `${config.publicUrl}${path}`;
}

export const accountLinks = {
  verifyEmail: (config: Config, token: string) => linkTo(config, `/verify-email/${token}`),
  resetPassword: (config: Config, token: string) => linkTo(config, `/reset-password/${token}`),
  confirmEmail: (config: Config, token: string) => linkTo(config, `/confirm-email/${token}`),
  signIn: (config: Config) => linkTo(config, '/sign-in'),
  forgottenPassword: (config: Config) => linkTo(config, '/forgotten-password'),
};
