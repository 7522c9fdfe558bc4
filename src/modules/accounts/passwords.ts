/**
 * Passwords: argon2id (OWASP's recommended parameters: 19 MiB, 2 iterations, 1 lane), and the
 * rules users are told about. Verification of a missing hash still spends the same work, so a
 * sign-in for an unknown email takes as long as one for a real account.
 */
import { hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// A hash of a random string, verified against when there is no account, to even out timing.
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    decoyHash ??= hashPassword(`decoy-${Math.random()}`);
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A message for a password that breaks the rules, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | undefined {
  if (password.length === 0) return 'Enter a password';
  if (password.length < PASSWORD_MIN_LENGTH) return `Password must be ${PASSWORD_MIN_LENGTH} characters or more`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Password must be ${PASSWORD_MAX_LENGTH} characters or fewer`;
  const lowered = password.toLowerCase();
  if (context.email && lowered.includes(context.email.toLowerCase().split('@')[0] ?? '\u0000')) return 'Password must not contain your email address';
  if (/^(.)\1+$/.test(password) || ['password', 'qwerty', '123456', 'letmein'].some((weak) => lowered.startsWith(weak))) {
    return 'Password is too easy to guess: try three or four random words';
  }
  return undefined;
}
