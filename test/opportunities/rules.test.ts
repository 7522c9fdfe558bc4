// The publishing rules as pure functions: contradictory dates, reservations below the threshold,
// what each stage needs before the public sees it, and the statutory minimum tender periods.
import t from 'tap';
import { dateProblems, readinessProblems, reservationProblem, tenderPeriodWarnings, type LotRecord, type OpportunityRecord } from '../../src/modules/opportunities/opportunities.rules.js';
import { thresholdKindOf, Thresholds } from '../../src/modules/opportunities/thresholds.js';

const thresholds = Thresholds.load();

// Thresholds in data/uk-procurement-thresholds.csv (pence, including VAT), sub-central buyers.
const GOODS_2025 = 21_490_400; // £214,904 from 2024-01-01 to 2025-12-31
const GOODS_2026 = 20_772_000; // £207,720 from 2026-01-01
const WORKS_2025 = 537_260_900; // £5,372,609
const WORKS_2026 = 519_300_000; // £5,193,000

const NOW = new Date('2027-03-01T10:00:00Z');
const DAY = 86_400_000;

/** A complete working copy, ready to publish in the open stage at NOW. */
function record(overrides: Partial<OpportunityRecord> = {}): OpportunityRecord {
  return {
    id: 1,
    buyerId: 1,
    version: 1,
    status: 'draft',
    stage: 'open',
    reference: null,
    title: 'Grounds maintenance',
    summary: 'Grass cutting across the borough.',
    description: '',
    procedure: 'open',
    mainCategory: 'services',
    cpvCodes: ['77310000'],
    valueMinPence: null,
    valueMaxPence: 5_000_000,
    valueIncludesVat: false,
    currency: 'GBP',
    deliveryLocation: null,
    suitableForSme: false,
    suitableForVcse: false,
    reservation: 'none',
    socialValueLocalJobs: false,
    socialValueApprenticeships: false,
    socialValueOther: null,
    publishAt: null,
    engagementEventAt: null,
    engagementEventDetails: null,
    questionsDeadline: null,
    tenderDeadline: new Date(NOW.getTime() + 30 * DAY),
    expectedAwardDate: null,
    contractStart: null,
    contractEnd: null,
    extensions: null,
    contactName: null,
    contactEmail: 'procurement@example.gov.uk',
    contactPhone: null,
    responseMethod: 'portal',
    externalResponseUrl: null,
    externalResponseReference: null,
    officialNoticeId: null,
    officialNoticeUrl: null,
    source: 'portal',
    sourceId: null,
    cancellationReason: null,
    firstPublishedAt: null,
    createdBy: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

const fieldsOf = (problems: { field: string }[]) => problems.map((p) => p.field);

t.test('dateProblems: each pair of dates that contradict each other, and equal values', async (t) => {
  const none = { engagementEventAt: null, questionsDeadline: null, tenderDeadline: null, expectedAwardDate: null, contractStart: null, contractEnd: null };
  t.same(dateProblems(none), [], 'no dates, no problems');
  const deadline = new Date('2027-05-14T11:00:00Z'); // 12:00 BST on 14 May

  t.test('questions deadline before the deadline for bids', async (t) => {
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, questionsDeadline: new Date(deadline.getTime() - 60_000) })), []);
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, questionsDeadline: deadline })), ['questionsDeadline'], 'equal is refused');
    const after = dateProblems({ ...none, tenderDeadline: deadline, questionsDeadline: new Date(deadline.getTime() + 60_000) });
    t.same(after, [{ step: 'dates', field: 'questionsDeadline', message: 'The deadline for questions must be before the deadline for bids' }]);
    t.same(dateProblems({ ...none, questionsDeadline: deadline }), [], 'alone it contradicts nothing');
  });

  t.test('event for suppliers before the deadline for bids', async (t) => {
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, engagementEventAt: new Date(deadline.getTime() - DAY) })), []);
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, engagementEventAt: deadline })), ['engagementEventAt'], 'equal is refused');
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, engagementEventAt: new Date(deadline.getTime() + DAY) })), ['engagementEventAt']);
  });

  t.test('expected award on or after the London day of the deadline for bids', async (t) => {
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, expectedAwardDate: '2027-05-14' })), [], 'the same day is fine');
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: deadline, expectedAwardDate: '2027-05-13' })), ['expectedAwardDate']);
    // 23:30 UTC on 14 May is 00:30 on 15 May in London (BST): the 14th is then before the deadline.
    const lateEvening = new Date('2027-05-14T23:30:00Z');
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: lateEvening, expectedAwardDate: '2027-05-14' })), ['expectedAwardDate'], 'compared with the London date');
    t.same(fieldsOf(dateProblems({ ...none, tenderDeadline: lateEvening, expectedAwardDate: '2027-05-15' })), []);
  });

  t.test('contract start on or after the expected award', async (t) => {
    t.same(fieldsOf(dateProblems({ ...none, expectedAwardDate: '2027-06-01', contractStart: '2027-06-01' })), [], 'the same day is fine');
    t.same(fieldsOf(dateProblems({ ...none, expectedAwardDate: '2027-06-01', contractStart: '2027-05-31' })), ['contractStart']);
  });

  t.test('contract end after the contract start', async (t) => {
    t.same(fieldsOf(dateProblems({ ...none, contractStart: '2027-07-01', contractEnd: '2027-07-02' })), []);
    t.same(fieldsOf(dateProblems({ ...none, contractStart: '2027-07-01', contractEnd: '2027-07-01' })), ['contractEnd'], 'equal is refused');
    t.same(fieldsOf(dateProblems({ ...none, contractStart: '2027-07-01', contractEnd: '2027-06-30' })), ['contractEnd']);
  });

  t.test('several problems at once, all in the dates step', async (t) => {
    const problems = dateProblems({
      engagementEventAt: new Date(deadline.getTime() + DAY),
      questionsDeadline: new Date(deadline.getTime() + DAY),
      tenderDeadline: deadline,
      expectedAwardDate: '2027-05-01',
      contractStart: '2027-04-01',
      contractEnd: '2027-03-01',
    });
    t.same(fieldsOf(problems), ['questionsDeadline', 'engagementEventAt', 'expectedAwardDate', 'contractStart', 'contractEnd']);
    t.ok(problems.every((p) => p.step === 'dates'));
  });
});

t.test('reservationProblem: reserving only below the threshold in force', async (t) => {
  const reserved = (valuePence: number | null, overrides: Partial<OpportunityRecord> = {}) =>
    record({ reservation: 'local', valueMinPence: null, valueMaxPence: valuePence, valueIncludesVat: true, ...overrides });

  t.equal(reservationProblem(record({ reservation: 'none', valueMaxPence: 999_999_999_999 }), thresholds, '2027-01-01'), null, 'no reservation, no problem at any value');

  t.test('goods and services, VAT included', async (t) => {
    t.equal(reservationProblem(reserved(GOODS_2026 - 1), thresholds, '2027-01-01'), null, 'a penny below');
    const at = reservationProblem(reserved(GOODS_2026), thresholds, '2027-01-01');
    t.equal(at?.field, 'reservation', 'at the threshold is not below it');
    t.equal(at?.step, 'value');
    t.match(at?.message, /below the threshold of £207,720 including VAT/);
    t.ok(reservationProblem(reserved(GOODS_2026 + 1), thresholds, '2027-01-01'), 'above');
  });

  t.test('VAT not included: the value is compared with 20% added', async (t) => {
    const exVat = GOODS_2026 / 1.2; // £173,100: exactly the threshold once VAT is added
    t.ok(reservationProblem(reserved(exVat, { valueIncludesVat: false }), thresholds, '2027-01-01'), 'at the threshold with VAT');
    t.equal(reservationProblem(reserved(exVat - 1, { valueIncludesVat: false }), thresholds, '2027-01-01'), null, 'just below with VAT');
    t.equal(reservationProblem(reserved(exVat, { valueIncludesVat: true }), thresholds, '2027-01-01'), null, 'the same figure including VAT is well below');
  });

  t.test('works have their own, higher threshold', async (t) => {
    const works = (value: number) => reserved(value, { mainCategory: 'works' });
    t.equal(reservationProblem(works(GOODS_2026 * 10), thresholds, '2027-01-01'), null, 'far above the goods threshold is fine for works');
    t.equal(reservationProblem(works(WORKS_2026 - 1), thresholds, '2027-01-01'), null);
    t.match(reservationProblem(works(WORKS_2026), thresholds, '2027-01-01')?.message, /£5,193,000/);
    t.equal(reservationProblem(reserved(GOODS_2026, { mainCategory: 'goods' }), thresholds, '2027-01-01')?.field, 'reservation', 'goods share the services threshold');
  });

  t.test('the threshold in force on the date', async (t) => {
    // £210,000 including VAT: below the 2024–2025 threshold, above the one from 2026.
    const value = 21_000_000;
    t.equal(reservationProblem(reserved(value), thresholds, '2025-12-31'), null, 'below £214,904 on the last day of 2025');
    t.match(reservationProblem(reserved(value), thresholds, '2026-01-01')?.message, /£207,720/, 'above £207,720 from 1 January 2026');
    t.equal(reservationProblem(reserved(GOODS_2025 - 1), thresholds, '2024-06-01'), null);
    t.ok(reservationProblem(reserved(GOODS_2025), thresholds, '2024-06-01'));
    t.equal(reservationProblem(reserved(WORKS_2025 - 1, { mainCategory: 'works' }), thresholds, '2025-06-01'), null);
    t.ok(reservationProblem(reserved(WORKS_2026, { mainCategory: 'works' }), thresholds, '2026-06-01'));
  });

  t.test('the value used is the maximum, or the minimum when no maximum is given', async (t) => {
    t.ok(reservationProblem(reserved(GOODS_2026, { valueMinPence: 1_000_000 }), thresholds, '2027-01-01'), 'a range reaching the threshold');
    t.ok(reservationProblem(record({ reservation: 'sme', valueIncludesVat: true, valueMinPence: GOODS_2026, valueMaxPence: null }), thresholds, '2027-01-01'));
    t.equal(reservationProblem(record({ reservation: 'vcse', valueIncludesVat: true, valueMinPence: 100, valueMaxPence: null }), thresholds, '2027-01-01'), null);
    const unknown = reservationProblem(record({ reservation: 'vcse', valueMinPence: null, valueMaxPence: null }), thresholds, '2027-01-01');
    t.match(unknown?.message, /Give the contract’s value/, 'a reservation needs a value');
  });
});

t.test('readinessProblems: what each stage needs before the public sees it', async (t) => {
  t.same(readinessProblems(record(), [], 'open', thresholds, NOW), [], 'a complete working copy is ready');

  const empty = record({ title: ' ', summary: '', cpvCodes: [], contactEmail: null, tenderDeadline: null });
  t.same(
    readinessProblems(empty, [], 'pipeline', thresholds, NOW).map((p) => [p.step, p.field]),
    [
      ['about', 'title'],
      ['about', 'summary'],
      ['categories', 'cpvCodes'],
      ['responding', 'contactEmail'],
    ],
    'pipeline: title, summary, a category and a contact',
  );
  t.same(fieldsOf(readinessProblems(empty, [], 'planned', thresholds, NOW)), ['title', 'summary', 'cpvCodes', 'contactEmail'], 'planned: the same');
  t.same(fieldsOf(readinessProblems(empty, [], 'open', thresholds, NOW)), ['title', 'summary', 'cpvCodes', 'contactEmail', 'tenderDeadline'], 'open: a deadline for bids too');
  t.same(readinessProblems(record({ tenderDeadline: null }), [], 'planned', thresholds, NOW), [], 'a planned one needs no deadline yet');

  t.test('open: the deadline must be in the future', async (t) => {
    t.same(fieldsOf(readinessProblems(record({ tenderDeadline: NOW }), [], 'open', thresholds, NOW)), ['tenderDeadline'], 'now is not the future');
    t.match(readinessProblems(record({ tenderDeadline: new Date(NOW.getTime() - 1) }), [], 'open', thresholds, NOW)[0]?.message, /must be in the future/);
    t.same(readinessProblems(record({ tenderDeadline: new Date(NOW.getTime() + 1000) }), [], 'open', thresholds, NOW), []);
    t.same(readinessProblems(record({ tenderDeadline: new Date(NOW.getTime() - DAY) }), [], 'planned', thresholds, NOW), [], 'a past deadline does not matter before the open stage');
  });

  t.test('open and responding elsewhere: the e-tendering link', async (t) => {
    const external = record({ responseMethod: 'external', externalResponseUrl: null });
    t.same(readinessProblems(external, [], 'open', thresholds, NOW).map((p) => [p.step, p.field]), [['responding', 'externalResponseUrl']]);
    t.same(readinessProblems(external, [], 'planned', thresholds, NOW), [], 'not needed before the open stage');
    t.same(readinessProblems(record({ responseMethod: 'external', externalResponseUrl: 'https://etender.example.org/1' }), [], 'open', thresholds, NOW), []);
  });

  t.test('lots need titles', async (t) => {
    const lots: LotRecord[] = [
      { id: 1, position: 1, title: 'North', description: '', valuePence: null },
      { id: 2, position: 2, title: '  ', description: '', valuePence: null },
    ];
    t.same(readinessProblems(record(), lots, 'open', thresholds, NOW).map((p) => [p.step, p.field]), [['lots', 'lots']]);
    t.same(readinessProblems(record(), lots.slice(0, 1), 'open', thresholds, NOW), []);
  });

  t.test('a reservation and contradictory dates are problems in every stage', async (t) => {
    const o = record({ reservation: 'local', valueMaxPence: GOODS_2026, valueIncludesVat: true, contractStart: '2027-09-01', contractEnd: '2027-08-01' });
    for (const stage of ['pipeline', 'planned', 'open'] as const) {
      t.same(readinessProblems(o, [], stage, thresholds, NOW).map((p) => [p.step, p.field]), [
        ['value', 'reservation'],
        ['dates', 'contractEnd'],
      ], stage);
    }
    // The threshold is the one in force on the London date of `at`.
    const reservedAt2025Rate = record({ reservation: 'local', valueMaxPence: 21_000_000, valueIncludesVat: true, tenderDeadline: new Date('2026-02-01T12:00:00Z') });
    t.same(readinessProblems(reservedAt2025Rate, [], 'open', thresholds, new Date('2025-12-31T23:30:00Z')), [], 'late on 31 December 2025 in London');
    t.same(fieldsOf(readinessProblems(reservedAt2025Rate, [], 'open', thresholds, new Date('2026-01-01T00:30:00Z'))), ['reservation'], 'just after midnight on 1 January 2026');
  });
});

t.test('tenderPeriodWarnings: statutory minimum tender periods are warned about', async (t) => {
  const publishAt = new Date('2027-06-01T09:00:00Z'); // 10:00 BST on 1 June 2027
  const deadlineAfter = (days: number) => new Date(publishAt.getTime() + days * DAY);
  // £500,000 excluding VAT: above the goods and services threshold.
  const above = (overrides: Partial<OpportunityRecord> = {}) => record({ valueMaxPence: 50_000_000, valueIncludesVat: false, procedure: 'open', ...overrides });
  const below = (overrides: Partial<OpportunityRecord> = {}) => record({ valueMaxPence: 5_000_000, procedure: 'below_threshold_open', ...overrides });

  t.test('above the threshold, open procedure: 25 days', async (t) => {
    const warnings = tenderPeriodWarnings(above({ tenderDeadline: deadlineAfter(24) }), publishAt, thresholds, null);
    t.equal(warnings.length, 1);
    t.equal(warnings[0]?.days, 24);
    t.equal(warnings[0]?.minimumDays, 25);
    t.match(warnings[0]?.message, /The tender period is 24 days\. Above the procurement threshold the law requires at least 25 days/);
    t.same(tenderPeriodWarnings(above({ tenderDeadline: deadlineAfter(25) }), publishAt, thresholds, null), [], '25 days is enough');
    t.same(tenderPeriodWarnings(above({ procedure: 'competitive_flexible', tenderDeadline: deadlineAfter(25) }), publishAt, thresholds, null), []);
    t.equal(tenderPeriodWarnings(above({ procedure: 'competitive_flexible', tenderDeadline: deadlineAfter(20) }), publishAt, thresholds, null)[0]?.minimumDays, 25, 'competitive flexible too');
    t.equal(tenderPeriodWarnings(above({ valueMaxPence: GOODS_2026, valueIncludesVat: true, tenderDeadline: deadlineAfter(24) }), publishAt, thresholds, null)[0]?.minimumDays, 25, 'at the threshold counts as above');
  });

  t.test('after a qualifying planned procurement notice: 10 days', async (t) => {
    const o = above({ tenderDeadline: deadlineAfter(12) });
    const daysBefore = (days: number) => new Date(publishAt.getTime() - days * DAY);
    t.same(tenderPeriodWarnings(o, publishAt, thresholds, daysBefore(40)), [], 'a notice 40 days before qualifies: 12 days is enough');
    t.same(tenderPeriodWarnings(above({ tenderDeadline: deadlineAfter(10) }), publishAt, thresholds, daysBefore(40)), [], 'exactly 10 days');
    const nine = tenderPeriodWarnings(above({ tenderDeadline: deadlineAfter(9) }), publishAt, thresholds, daysBefore(40));
    t.same(nine.map((w) => [w.days, w.minimumDays]), [[9, 10]]);
    t.match(nine[0]?.message, /at least 10 days after a planned procurement notice/);
    t.same(tenderPeriodWarnings(o, publishAt, thresholds, daysBefore(365)).length, 0, 'a year before still qualifies');
    t.same(tenderPeriodWarnings(o, publishAt, thresholds, daysBefore(39)).map((w) => w.minimumDays), [25], '39 days before does not qualify');
    t.same(tenderPeriodWarnings(o, publishAt, thresholds, daysBefore(366)).map((w) => w.minimumDays), [25], 'over a year before does not qualify');
    t.same(tenderPeriodWarnings(o, publishAt, thresholds, daysBefore(400)).map((w) => w.minimumDays), [25]);
  });

  t.test('below the threshold: advice under 10 days', async (t) => {
    const nine = tenderPeriodWarnings(below({ tenderDeadline: deadlineAfter(9) }), publishAt, thresholds, null);
    t.same(nine.map((w) => [w.days, w.minimumDays]), [[9, 10]]);
    t.match(nine[0]?.message, /The law sets no minimum below the threshold, but fewer than 10 days/);
    t.same(tenderPeriodWarnings(below({ tenderDeadline: deadlineAfter(10) }), publishAt, thresholds, null), []);
    t.match(tenderPeriodWarnings(below({ tenderDeadline: deadlineAfter(1) }), publishAt, thresholds, null)[0]?.message, /The tender period is 1 day\./);
    t.equal(tenderPeriodWarnings(below({ valueMaxPence: null, valueMinPence: null, tenderDeadline: deadlineAfter(5) }), publishAt, thresholds, null)[0]?.minimumDays, 10, 'no value: treated as below');
    t.same(tenderPeriodWarnings(above({ procedure: 'request_for_quotation', tenderDeadline: deadlineAfter(15) }), publishAt, thresholds, null), [], 'other procedures above the threshold: only the 10-day advice');
    const shortOther = tenderPeriodWarnings(above({ procedure: 'framework_call_off', tenderDeadline: deadlineAfter(5) }), publishAt, thresholds, null);
    t.equal(shortOther[0]?.minimumDays, 10);
    t.notMatch(shortOther[0]?.message, /below the threshold/, 'not described as below the threshold when it is above it');
  });

  t.test('only open opportunities with a deadline', async (t) => {
    for (const stage of ['pipeline', 'planned', 'closed', 'awarded'] as const) {
      t.same(tenderPeriodWarnings(above({ stage, tenderDeadline: deadlineAfter(2) }), publishAt, thresholds, null), [], stage);
    }
    t.same(tenderPeriodWarnings(above({ tenderDeadline: null }), publishAt, thresholds, null), [], 'no deadline yet');
  });

  t.test('days are counted between London dates, across the change to BST', async (t) => {
    // 12:00 GMT on 20 March to 12:00 BST on 14 April 2027 is 24 days and 23 hours, but 25 days by the calendar.
    const spring = above({ tenderDeadline: new Date('2027-04-14T11:00:00Z') });
    t.same(tenderPeriodWarnings(spring, new Date('2027-03-20T12:00:00Z'), thresholds, null), [], '25 calendar days');
    // 23:30 UTC on 28 March is 00:30 BST on 29 March in London: from the 29th to 22 April is 24 days
    // (25 by the UTC dates).
    const lateNight = tenderPeriodWarnings(above({ tenderDeadline: new Date('2027-04-22T12:00:00Z') }), new Date('2027-03-28T23:30:00Z'), thresholds, null);
    t.same(lateNight.map((w) => w.days), [24]);
    // Back to GMT in October: 24 calendar days from 20 October to 13 November.
    const autumn = tenderPeriodWarnings(above({ tenderDeadline: new Date('2027-11-13T12:00:00Z') }), new Date('2027-10-20T11:00:00Z'), thresholds, null);
    t.same(autumn.map((w) => w.days), [24]);
  });

  t.test('the threshold in force on the publication day decides', async (t) => {
    // £210,000 including VAT: below in 2025, above from 2026.
    const o = above({ valueMaxPence: 21_000_000, valueIncludesVat: true, tenderDeadline: null });
    const at2025 = new Date('2025-12-01T12:00:00Z');
    const at2026 = new Date('2026-01-05T12:00:00Z');
    t.same(tenderPeriodWarnings({ ...o, tenderDeadline: new Date(at2025.getTime() + 15 * DAY) }, at2025, thresholds, null), [], 'below in 2025: 15 days draws no warning');
    t.same(tenderPeriodWarnings({ ...o, tenderDeadline: new Date(at2026.getTime() + 15 * DAY) }, at2026, thresholds, null).map((w) => w.minimumDays), [25], 'above from 2026');
  });
});

t.test('light-touch services (by the main CPV code) have the higher threshold and no statutory minimum period', async (t) => {
  const thresholds = Thresholds.load();
  t.equal(thresholdKindOf('services', ['85311000']), 'light_touch', 'social work is light-touch');
  t.equal(thresholdKindOf('services', ['80500000']), 'light_touch', 'training is light-touch');
  t.equal(thresholdKindOf('services', ['77310000', '85311000']), 'goods_services', 'only the main (first) code counts');
  t.equal(thresholdKindOf('works', ['85311000']), 'works', 'works are never light-touch');
  t.equal(thresholdKindOf('goods', []), 'goods_services');
  // £400,000 excluding VAT (£480,000 with it): above the goods and services threshold, below light-touch (£663,540).
  const value = { reservation: 'vcse' as const, mainCategory: 'services' as const, valueMinPence: null, valueMaxPence: 40_000_000, valueIncludesVat: false };
  t.ok(reservationProblem({ ...value, cpvCodes: ['79410000'] }, thresholds, '2026-06-01'), 'consultancy of that value cannot be reserved');
  t.equal(reservationProblem({ ...value, cpvCodes: ['85311000'] }, thresholds, '2026-06-01'), null, 'social care of that value can');
  const open = { stage: 'open' as const, procedure: 'open' as const, mainCategory: 'services' as const, valueMinPence: null, valueMaxPence: 100_000_000, valueIncludesVat: false };
  const publishAt = new Date('2026-06-01T09:00:00Z');
  const deadline = new Date('2026-06-16T11:00:00Z');
  const [lightTouch] = tenderPeriodWarnings({ ...open, cpvCodes: ['85311000'], tenderDeadline: deadline }, publishAt, thresholds, null);
  t.equal(lightTouch, undefined, '15 days for a light-touch contract: no statutory warning');
  const [ordinary] = tenderPeriodWarnings({ ...open, cpvCodes: ['79410000'], tenderDeadline: deadline }, publishAt, thresholds, null);
  t.equal(ordinary?.minimumDays, 25, 'the same period for consultancy is below the 25-day minimum');
  const [short] = tenderPeriodWarnings({ ...open, cpvCodes: ['85311000'], tenderDeadline: new Date('2026-06-05T11:00:00Z') }, publishAt, thresholds, null);
  t.match(short?.message, /no minimum for light-touch services/, 'a very short light-touch period gets the advice');
});
