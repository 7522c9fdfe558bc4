// Form fields for dates, times, money and whole numbers (the GOV.UK patterns), and London wall-clock time.
import t from 'tap';
import { Form } from '../../src/lib/forms.js';
import { daysBetween, londonDate, londonTime, londonToUtc } from '../../src/lib/london-time.js';

const dateOf = (day: string, month: string, year: string, rule: { label: string; required?: string } = { label: 'Contract start date' }) => {
  const form = new Form({ 'start-day': day, 'start-month': month, 'start-year': year });
  return { value: form.date('start', rule), errors: form.errors };
};

t.test('Form.date: a GOV.UK date input', async (t) => {
  t.test('a complete date', async (t) => {
    t.same(dateOf('5', '3', '2027'), { value: '2027-03-05', errors: [] });
    t.same(dateOf(' 05 ', '03', '2027'), { value: '2027-03-05', errors: [] }, 'spaces and leading zeros');
    t.same(dateOf('29', '2', '2028'), { value: '2028-02-29', errors: [] }, 'a leap day');
  });

  t.test('all empty: null, an error only when required', async (t) => {
    t.same(dateOf('', '', ''), { value: null, errors: [] });
    t.same(new Form({}).date('start', { label: 'Start date' }), null, 'fields absent altogether');
    t.same(dateOf(' ', '', '', { label: 'Start date', required: 'Enter the start date' }), {
      value: null,
      errors: [{ field: 'start', message: 'Enter the start date', href: '#start-day' }],
    });
  });

  t.test('partly filled in: says which parts are missing, links to the first', async (t) => {
    t.same(dateOf('5', '', '2027').errors, [{ field: 'start', message: 'Contract start date must include a month', href: '#start-month' }]);
    t.same(dateOf('', '3', '2027').errors, [{ field: 'start', message: 'Contract start date must include a day', href: '#start-day' }]);
    t.same(dateOf('5', '3', '').errors, [{ field: 'start', message: 'Contract start date must include a year', href: '#start-year' }]);
    t.same(dateOf('', '', '2027').errors, [{ field: 'start', message: 'Contract start date must include a day and month', href: '#start-day' }]);
    t.same(dateOf('', '3', '').errors, [{ field: 'start', message: 'Contract start date must include a day and year', href: '#start-day' }]);
    t.equal(dateOf('5', '', '2027').value, null);
  });

  t.test('month names, full or short', async (t) => {
    t.equal(dateOf('5', 'March', '2027').value, '2027-03-05');
    t.equal(dateOf('5', 'mar', '2027').value, '2027-03-05');
    t.equal(dateOf('5', 'SEPT', '2027').value, '2027-09-05');
    t.equal(dateOf('5', 'september', '2027').value, '2027-09-05');
    t.equal(dateOf('1', 'feb', '2027').value, '2027-02-01');
    t.same(dateOf('5', 'ma', '2027').errors.map((e) => e.message), ['Contract start date must be a real date'], 'two letters are ambiguous');
    t.same(dateOf('5', 'Marchxyz', '2027').errors.map((e) => e.href), ['#start-month'], 'not a month name');
    t.same(dateOf('5', 'Mayday', '2027').errors.map((e) => e.href), ['#start-month']);
    t.same(dateOf('5', 'Smarch', '2027').errors.map((e) => e.href), ['#start-month']);
  });

  t.test('not a real date', async (t) => {
    t.same(dateOf('31', '2', '2027').errors, [{ field: 'start', message: 'Contract start date must be a real date', href: '#start-day' }], '31 February: the day is wrong');
    t.same(dateOf('29', '2', '2027').errors.map((e) => e.href), ['#start-day'], '29 February in a common year');
    t.same(dateOf('31', 'April', '2027').errors.map((e) => e.href), ['#start-day']);
    t.same(dateOf('0', '3', '2027').errors.map((e) => e.href), ['#start-day']);
    t.same(dateOf('32', '3', '2027').errors.map((e) => e.href), ['#start-day']);
    t.same(dateOf('x', '3', '2027').errors.map((e) => e.href), ['#start-day']);
    t.same(dateOf('5', '13', '2027').errors, [{ field: 'start', message: 'Contract start date must be a real date', href: '#start-month' }]);
    t.same(dateOf('5', '0', '2027').errors.map((e) => e.href), ['#start-month']);
    t.same(dateOf('1.5', '3', '2027').errors.map((e) => e.href), ['#start-day']);
  });

  t.test('the year has 4 numbers, between 2000 and 2100', async (t) => {
    t.same(dateOf('5', '3', '27').errors, [{ field: 'start', message: 'Contract start date: the year must have 4 numbers, like 2027', href: '#start-year' }], '2-digit year');
    t.same(dateOf('5', '3', '20271').errors.map((e) => e.href), ['#start-year']);
    t.same(dateOf('5', '3', '1999').errors, [{ field: 'start', message: 'Contract start date must be between the years 2000 and 2100', href: '#start-year' }]);
    t.same(dateOf('5', '3', '0027').errors.map((e) => e.message), ['Contract start date must be between the years 2000 and 2100'], '0027 is not a year in 1927');
    t.equal(dateOf('31', '12', '2100').value, '2100-12-31');
    t.equal(dateOf('1', '1', '2000').value, '2000-01-01');
  });

  t.test('one error per field, values kept', async (t) => {
    const form = new Form({ 'start-day': '31', 'start-month': '2', 'start-year': '2027' });
    form.date('start', { label: 'Start' });
    form.date('start', { label: 'Start' });
    t.equal(form.errors.length, 1);
    t.same(form.values, { 'start-day': '31', 'start-month': '2', 'start-year': '2027' });
  });
});

const timeOf = (raw: string) => {
  const form = new Form({ at: raw });
  return { value: form.time('at', { label: 'Deadline' }), errors: form.errors.map((e) => e.message) };
};

t.test('Form.time: times as people write them', async (t) => {
  const cases: [string, string][] = [
    ['2pm', '14:00'],
    ['2 PM', '14:00'],
    ['2:30pm', '14:30'],
    ['2.30pm', '14:30'],
    ['2 p.m.', '14:00'],
    ['2:30 p.m.', '14:30'],
    ['9am', '09:00'],
    ['9.15 a.m.', '09:15'],
    ['14:30', '14:30'],
    ['14.30', '14:30'],
    ['09:05', '09:05'],
    ['0:00', '00:00'],
    ['23:59', '23:59'],
    ['midday', '12:00'],
    ['Midday', '12:00'],
    ['noon', '12:00'],
    ['12 noon', '12:00'],
    ['midnight', '00:00'],
    ['12am', '00:00'],
    ['12pm', '12:00'],
    ['12:30am', '00:30'],
    ['1am', '01:00'],
  ];
  for (const [raw, expected] of cases) t.same(timeOf(raw), { value: expected, errors: [] }, raw);

  t.same(timeOf(''), { value: null, errors: [] }, 'empty is null');
  t.same(timeOf('  '), { value: null, errors: [] });
  for (const raw of ['13pm', '0am', '14', '2', '24:00', '23:60', '2:5pm', '14:30pm', 'teatime', '2pm!', '1430', '-1:00']) {
    t.same(timeOf(raw), { value: null, errors: ['Deadline must be a real time, like 14:30 or 2:30pm'] }, `${raw} refused`);
  }
});

t.test('Form.dateTime: a London date and time', async (t) => {
  const dateTimeOf = (fields: Record<string, string>, rule: { required?: string } = {}) => {
    const form = new Form(fields);
    return { value: form.dateTime('deadline', { label: 'Deadline for bids', defaultTime: '12:00', ...rule }), errors: form.errors };
  };
  const date = { 'deadline-day': '14', 'deadline-month': '5', 'deadline-year': '2027' };

  t.same(dateTimeOf({ ...date, 'deadline-time': '' }).value, new Date('2027-05-14T11:00:00Z'), 'no time: the default, midday London (BST)');
  t.same(dateTimeOf(date).value, new Date('2027-05-14T11:00:00Z'), 'time field absent');
  t.same(dateTimeOf({ ...date, 'deadline-time': '5pm' }).value, new Date('2027-05-14T16:00:00Z'));
  t.same(dateTimeOf({ 'deadline-day': '14', 'deadline-month': '12', 'deadline-year': '2027', 'deadline-time': '5pm' }).value, new Date('2027-12-14T17:00:00Z'), 'GMT in winter');

  const badTime = dateTimeOf({ ...date, 'deadline-time': '25:00' });
  t.equal(badTime.value, null);
  t.same(badTime.errors, [{ field: 'deadline-time', message: 'Deadline for bids: the time must be a real time, like 14:30 or 2:30pm' }]);

  const badDate = dateTimeOf({ 'deadline-day': '31', 'deadline-month': '2', 'deadline-year': '2027', 'deadline-time': '5pm' });
  t.equal(badDate.value, null);
  t.same(badDate.errors.map((e) => e.field), ['deadline']);

  t.same(dateTimeOf({}), { value: null, errors: [] }, 'all empty and optional');
  t.same(dateTimeOf({}, { required: 'Enter the deadline for bids' }).errors, [{ field: 'deadline', message: 'Enter the deadline for bids', href: '#deadline-day' }]);

  // Emptying the date removes it even when the (prefilled) time is left in place.
  t.same(dateTimeOf({ 'deadline-time': '5pm' }), { value: null, errors: [] }, 'a time without a date: no date');
  t.same(dateTimeOf({ 'deadline-time': '5pm' }, { required: 'Enter the deadline for bids' }).errors.map((e) => e.field), ['deadline'], 'unless the date is required');
});

t.test('Form.money: pounds to integer pence', async (t) => {
  const moneyOf = (raw: string, rule: { required?: string } = {}) => {
    const form = new Form({ value: raw });
    return { value: form.money('value', { label: 'Value', ...rule }), errors: form.errors.map((e) => e.message) };
  };
  const accepted: [string, number][] = [
    ['£25,000', 2_500_000],
    ['25000', 2_500_000],
    ['25000.5', 2_500_050],
    ['25,000.50', 2_500_050],
    ['£ 25,000', 2_500_000],
    [' 1,234,567.89 ', 123_456_789],
    ['0.01', 1],
    ['0', 0],
    ['£21,500,000', 2_150_000_000],
    ['100,000,000,000', 10_000_000_000_000],
  ];
  for (const [raw, pence] of accepted) t.same(moneyOf(raw), { value: pence, errors: [] }, raw);

  const format = 'Value must be an amount in pounds, like 25,000 or 25,000.50';
  for (const raw of ['1.234', '-5', '£-5', 'abc', '1e5', '25k', '.5', '5.', '1,00', '12,34,567', '25 000']) {
    t.same(moneyOf(raw), { value: null, errors: [format] }, `${raw} refused`);
  }
  t.same(moneyOf('100,000,000,000.01'), { value: null, errors: ['Value must be £100 billion or less'] }, 'over the maximum');
  t.same(moneyOf('99999999999999999999'), { value: null, errors: ['Value must be £100 billion or less'] });
  t.same(moneyOf(''), { value: null, errors: [] }, 'empty is null');
  t.same(moneyOf(' £ '), { value: null, errors: [] }, 'a pound sign alone is empty');
  t.same(moneyOf('', { required: 'Enter the value' }), { value: null, errors: ['Enter the value'] });
});

t.test('Form.integer: a whole number in a range', async (t) => {
  const integerOf = (raw: string, rule: { required?: string } = {}) => {
    const form = new Form({ n: raw });
    return { value: form.integer('n', { label: 'Places', min: 1, max: 500, ...rule }), errors: form.errors.map((e) => e.message) };
  };
  t.same(integerOf('12'), { value: 12, errors: [] });
  t.same(integerOf(' 007 '), { value: 7, errors: [] });
  t.same(integerOf('1'), { value: 1, errors: [] }, 'the minimum');
  t.same(integerOf('500'), { value: 500, errors: [] }, 'the maximum');
  for (const raw of ['0', '501', '-1', '1.5', 'ten', '1e2', '+3', '9999999999']) {
    t.same(integerOf(raw), { value: null, errors: ['Places must be a whole number from 1 to 500'] }, `${raw} refused`);
  }
  t.same(integerOf(''), { value: null, errors: [] });
  t.same(integerOf('', { required: 'Enter the number of places' }), { value: null, errors: ['Enter the number of places'] });
});

t.test('londonToUtc: London wall-clock time to an instant', async (t) => {
  t.same(londonToUtc('2027-01-15', '09:30'), new Date('2027-01-15T09:30:00Z'), 'GMT: London is UTC');
  t.same(londonToUtc('2027-07-15', '09:30'), new Date('2027-07-15T08:30:00Z'), 'BST: London is UTC+1');
  t.same(londonToUtc('2027-07-15', '00:30'), new Date('2027-07-14T23:30:00Z'), 'just after midnight in summer is the UTC day before');
  t.same(londonToUtc('2027-12-31', '23:59'), new Date('2027-12-31T23:59:00Z'));

  // 28 March 2027: at 01:00 GMT the clocks go forward to 02:00 BST.
  t.same(londonToUtc('2027-03-28', '00:59'), new Date('2027-03-28T00:59:00Z'), 'the last minute of GMT');
  t.same(londonToUtc('2027-03-28', '01:30'), new Date('2027-03-28T01:30:00Z'), 'a time that does not exist is read as GMT (02:30 BST)');
  t.equal(londonTime(londonToUtc('2027-03-28', '01:30')), '02:30');
  t.same(londonToUtc('2027-03-28', '02:00'), new Date('2027-03-28T01:00:00Z'), 'the first minute of BST');
  t.same(londonToUtc('2027-03-28', '12:00'), new Date('2027-03-28T11:00:00Z'));

  // 31 October 2027: at 02:00 BST the clocks go back to 01:00 GMT, so 01:00–01:59 happens twice.
  t.same(londonToUtc('2027-10-31', '01:30'), new Date('2027-10-31T00:30:00Z'), 'the repeated hour: the earlier instant (BST)');
  t.same(londonToUtc('2027-10-31', '00:30'), new Date('2027-10-30T23:30:00Z'));
  t.same(londonToUtc('2027-10-31', '02:00'), new Date('2027-10-31T02:00:00Z'), 'after the change: GMT');
  t.same(londonToUtc('2027-10-31', '12:00'), new Date('2027-10-31T12:00:00Z'));
});

t.test('londonDate, londonTime and daysBetween', async (t) => {
  t.equal(londonDate(new Date('2027-07-01T23:30:00Z')), '2027-07-02', 'a late UTC evening in summer is the next London day');
  t.equal(londonTime(new Date('2027-07-01T23:30:00Z')), '00:30');
  t.equal(londonDate(new Date('2027-01-01T23:30:00Z')), '2027-01-01', 'in winter the same day');
  t.equal(londonTime(new Date('2027-01-01T23:30:00Z')), '23:30');
  t.equal(londonTime(new Date('2027-01-01T00:00:00Z')), '00:00', 'midnight is 00, not 24');
  t.equal(londonDate(new Date('2027-10-31T00:30:00Z')), '2027-10-31');
  t.equal(londonTime(new Date('2027-10-31T00:30:00Z')), '01:30', 'the first 01:30 on the day the clocks go back');
  t.equal(londonTime(new Date('2027-10-31T01:30:00Z')), '01:30', 'and the second');

  for (const [date, time] of [['2027-03-05', '14:30'], ['2027-08-19', '00:00'], ['2027-10-31', '01:15'], ['2027-03-28', '03:00']] as const) {
    const at = londonToUtc(date, time);
    t.same([londonDate(at), londonTime(at)], [date, time], `${date} ${time} reads back as typed`);
  }

  t.equal(daysBetween('2027-03-01', '2027-03-01'), 0);
  t.equal(daysBetween('2027-03-01', '2027-03-26'), 25);
  t.equal(daysBetween('2027-03-26', '2027-03-01'), -25, 'negative when earlier');
  t.equal(daysBetween('2027-03-27', '2027-03-29'), 2, 'across the change to BST');
  t.equal(daysBetween('2027-10-30', '2027-11-01'), 2, 'across the change to GMT');
  t.equal(daysBetween('2028-02-28', '2028-03-01'), 2, 'a leap year');
  t.equal(daysBetween('2027-12-31', '2028-01-01'), 1);
});
