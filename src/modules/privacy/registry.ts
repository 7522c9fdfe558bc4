/**
 * The privacy registry: every module that stores personal data says here, once, what it holds,
 * how to export it and how to erase it. "Download your data" walks the registry's exportFor()s,
 * "Delete your account" its eraseFor()s, and the privacy notice prints its describe()s, so the three
 * cannot drift apart as modules are added.
 *
 * Registrations live in registrations.ts (adding one is a one-line change there; see its header).
 */
import type { DbOrTx, Tx } from '../../db/client.js';

/** Whose data is being exported or erased: a user and the suppliers they belong to. */
export interface PrivacySubject {
  userId: number;
  /** As held before any erasure, so registrations can find rows that carry them (e.g. audit data). */
  name: string;
  email: string;
  /** Every supplier the user is a member of. */
  supplierIds: number[];
  /**
   * The suppliers the user is the only member of: their profile is the user's to export in full
   * and is deleted with the account.
   */
  soleMemberSupplierIds: number[];
}

/** Plain words for the privacy notice and the delete-account page. Each is a full sentence or two. */
export interface PersonalDataDescription {
  /** A short heading, e.g. "Your account". */
  title: string;
  /** What is held. */
  held: string;
  /** Why it is held. */
  why: string;
  /** The lawful basis, in plain words (naming the UK GDPR article). */
  lawfulBasis: string;
  /** How long it is kept: only what the code really does. */
  retention: string;
  /** What happens to it when the user deletes their account. */
  onDeletion: string;
  /** True when deleting the account keeps this data (published records), so the page lists it under "kept". */
  keptOnDeletion?: boolean;
}

export interface PersonalDataRegistration {
  /** The section's key in the exported JSON (`sections.<name>`): stable, snake_case. */
  name: string;
  describe: PersonalDataDescription;
  /**
   * The database tables this registration covers. A test checks that every table referring to
   * users or suppliers is covered by some registration (or is listed as holding none).
   */
  tables: string[];
  /** Everything held about the subject in this section, as plain JSON-able values (no secrets). */
  exportFor(db: DbOrTx, subject: PrivacySubject): Promise<unknown>;
  /** Erases (deletes or anonymises) the subject's data; runs inside the erasure's one transaction. */
  eraseFor(tx: Tx, subject: PrivacySubject): Promise<void>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

export class PersonalDataRegistry {
  private readonly entries: PersonalDataRegistration[] = [];

  register(registration: PersonalDataRegistration): PersonalDataRegistration {
    if (!NAME.test(registration.name)) throw new Error(`Personal data section name "${registration.name}" must be snake_case`);
    if (this.entries.some((entry) => entry.name === registration.name)) throw new Error(`Personal data section "${registration.name}" is registered twice`);
    this.entries.push(registration);
    return registration;
  }

  /** In registration order: the order of the export and of the privacy notice. */
  list(): readonly PersonalDataRegistration[] {
    return this.entries;
  }

  /**
   * The order of erasure: the reverse of registration. Modules registered later build on earlier
   * ones (an expression of interest refers to a supplier and a user), so their rows go first and
   * the account itself, registered first, is anonymised last.
   */
  erasureOrder(): readonly PersonalDataRegistration[] {
    return [...this.entries].reverse();
  }
}

/** The portal's one registry. */
export const personalDataRegistry = new PersonalDataRegistry();

export function registerPersonalData(registration: PersonalDataRegistration): PersonalDataRegistration {
  return personalDataRegistry.register(registration);
}
