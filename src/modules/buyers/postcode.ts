/**
 * UK postcodes: checked against the shape of a full postcode (outward code, a space, inward
 * code) and normalised to capitals with one space, e.g. " b69 3de" → "B69 3DE". The shapes are
 * those of the Royal Mail's Postcode Address File: A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA,
 * AA9A 9AA, plus the special GIR 0AA. The inward code's letters never include C, I, K, M, O or V.
 */
const POSTCODE = /^(GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?) ?[0-9][ABD-HJLNP-UW-Z]{2})$/;

/** The postcode in its standard form, or null when it is not a UK postcode. */
export function normaliseUkPostcode(input: string): string | null {
  const compact = input.toUpperCase().replace(/\s+/g, '');
  if (compact.length < 5 || compact.length > 7 || !POSTCODE.test(compact)) return null;
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}
