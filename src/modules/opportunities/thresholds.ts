/**
 * UK procurement thresholds by date (data/uk-procurement-thresholds.csv, amounts including VAT):
 * dated configuration shipped with the app. An opportunity may be reserved for local, SME or VCSE
 * suppliers only below the threshold in force when it is published (Procurement Act 2023); the
 * drafting rules (opportunities.rules.ts) and the demo data both ask this class.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../db/migrate.js';
import { referenceDataDir } from '../../paths.js';

export type ThresholdKind = 'works' | 'goods_services' | 'light_touch';

/**
 * CPV code prefixes of light-touch services (health, social, education, cultural, community,
 * hotel and restaurant, investigation and security services), which have a much higher threshold.
 * An approximation of Schedule 1 to the Procurement Regulations 2024 by CPV group: the schedule
 * lists individual codes, and a few codes under these groups are not light-touch. Officers see
 * the threshold applied, so a borderline case is visible.
 */
const LIGHT_TOUCH_PREFIXES = ['85', '80', '92', '752', '7953', '7954', '79611', '7962', '797', '98133', '985', '551', '552', '553', '554', '555'];

/** Whether a CPV code (8 digits) falls under the light-touch regime, as approximated above. */
export function isLightTouchCpv(code: string): boolean {
  return LIGHT_TOUCH_PREFIXES.some((prefix) => code.startsWith(prefix));
}

/**
 * The threshold that applies to a contract: light-touch when its main (first) CPV code is a
 * light-touch service, else works or goods and services by its main category.
 */
export function thresholdKindOf(mainCategory: 'goods' | 'services' | 'works', cpvCodes: readonly string[] = []): ThresholdKind {
  if (mainCategory === 'services' && cpvCodes[0] && isLightTouchCpv(cpvCodes[0])) return 'light_touch';
  return mainCategory === 'works' ? 'works' : 'goods_services';
}

interface ThresholdRow {
  from: string;
  to: string | null;
  regime: string;
  contractType: string;
  buyerType: string;
  amountPence: number;
}

export class Thresholds {
  constructor(private readonly rows: ThresholdRow[]) {}

  static load(file = path.join(referenceDataDir, 'uk-procurement-thresholds.csv')): Thresholds {
    const records = parseCsv(readFileSync(file, 'utf8')).slice(1);
    const rows = records
      .filter((r) => r.length >= 6 && r[0])
      .map(([from, to, regime, contractType, buyerType, amount]) => ({
        from: from!,
        to: to || null,
        regime: regime!,
        contractType: contractType!,
        buyerType: buyerType!,
        amountPence: Math.round(Number(amount) * 100),
      }));
    return new Thresholds(rows);
  }

  /** The threshold (pence, including VAT) for a sub-central buyer such as a council, on `date` (YYYY-MM-DD). */
  subCentral(kind: ThresholdKind, date: string): number {
    const candidates = this.rows.filter(
      (r) =>
        r.regime === 'Procurement Act 2023' &&
        r.contractType === kind &&
        (r.buyerType === 'sub_central' || r.buyerType === 'any') &&
        r.from <= date &&
        (r.to === null || date <= r.to),
    );
    // Before the first dated row, the earliest known amounts are the best guess.
    const row = candidates[0] ?? this.rows.filter((r) => r.contractType === kind && (r.buyerType === 'sub_central' || r.buyerType === 'any')).sort((a, b) => a.from.localeCompare(b.from))[0];
    if (!row) throw new Error(`no ${kind} threshold in the thresholds file`);
    return row.amountPence;
  }

  /** True when a contract worth `valuePence` (excluding VAT) is below the threshold, so it may be reserved. */
  belowThreshold(kind: ThresholdKind, valuePence: number | null, date: string): boolean {
    if (valuePence === null) return false;
    const withVat = Math.round(valuePence * 1.2);
    return withVat < this.subCentral(kind, date);
  }
}

let shipped: Thresholds | undefined;

/** The thresholds shipped with the app, read once. */
export function shippedThresholds(): Thresholds {
  shipped ??= Thresholds.load();
  return shipped;
}
