import t from 'tap';
import { date, dateTime, iso, money, moneyRange, plural, timeLeft } from '../../src/lib/format.js';

t.test('times are shown in Europe/London, GOV.UK style', async (t) => {
  t.equal(dateTime('2026-12-19T12:00:00Z'), '19 December 2026 at midday', 'GMT: noon UTC is midday');
  t.equal(dateTime('2026-12-19T00:00:00Z'), '19 December 2026 at midnight');
  t.equal(dateTime('2026-07-01T11:00:00Z'), '1 July 2026 at midday', 'BST: 11:00 UTC is midday in London');
  t.equal(dateTime('2026-07-01T16:30:00Z'), '1 July 2026 at 5:30pm');
  t.equal(dateTime('2026-03-29T00:30:00Z'), '29 March 2026 at 12:30am', 'just before the clocks go forward');
  t.equal(date('2026-07-01T23:30:00Z'), '2 July 2026', 'a UTC late evening in summer is the next London day');
  t.equal(date('2027-03-05'), '5 March 2027', 'a plain date is that calendar day');
  t.equal(dateTime(null), '');
  t.equal(iso('2027-03-05'), '2027-03-05');
  t.equal(iso(new Date('2027-03-05T10:00:00Z')), '2027-03-05T10:00:00.000Z');
});

t.test('money is integer pence shown in pounds', async (t) => {
  t.equal(money(1_250_000), '£12,500');
  t.equal(money(1_250_050), '£12,500.50');
  t.equal(money(2_150_000_000_00), '£2,150,000,000', 'values above £21m (beyond 32-bit pence) are exact');
  t.equal(money(null), '');
  t.equal(moneyRange(1_000_000, 5_000_000), '£10,000 to £50,000');
  t.equal(moneyRange(null, 5_000_000), 'up to £50,000');
  t.equal(moneyRange(1_000_000, null), 'from £10,000');
  t.equal(moneyRange(5_000_000, 5_000_000), '£50,000');
  t.equal(moneyRange(null, null), '');
});

t.test('time left counts whole London days', async (t) => {
  const now = new Date('2026-11-26T10:00:00Z');
  t.equal(timeLeft('2026-11-26T09:00:00Z', now), 'closed');
  t.equal(timeLeft('2026-11-26T17:00:00Z', now), 'closes today');
  t.equal(timeLeft('2026-11-27T12:00:00Z', now), '1 day left');
  t.equal(timeLeft('2026-12-06T12:00:00Z', now), '10 days left');
  t.equal(plural(1, 'opportunity', 'opportunities'), '1 opportunity');
  t.equal(plural(1200, 'opportunity', 'opportunities'), '1,200 opportunities');
});
