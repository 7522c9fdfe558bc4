// Format checks and normalisation of the identifiers a supplier gives: Companies House and
// charity numbers, postcodes (and the `local` flag they decide), websites, and the CSV cells of
// the directory export.
import t from 'tap';
import {
  charityRegisterUrl,
  companiesHouseUrl,
  isLocalPostcode,
  outwardCode,
  parseCharityNumber,
  parseCompaniesHouseNumber,
  parsePostcode,
  parseWebsite,
} from '../../src/modules/suppliers/identifiers.js';
import { csvCell, csvDocument, csvLine } from '../../src/modules/suppliers/csv.js';

t.test('Companies House numbers: 8 digits, or a known prefix and 6 digits, padded and upper-cased', async (t) => {
  const valid: [string, string][] = [
    ['01234567', '01234567'],
    ['1234567', '01234567'],
    ['123', '00000123'],
    [' 0123 4567 ', '01234567'],
    ['SC123456', 'SC123456'],
    ['sc12345', 'SC012345'],
    ['SC 012345', 'SC012345'],
    ['NI012345', 'NI012345'],
    ['oc301234', 'OC301234'],
    ['SO300123', 'SO300123'],
    ['NC000123', 'NC000123'],
    ['R0001234', 'R0001234'],
    ['r01234', 'R0001234'],
    ['LP012345', 'LP012345'],
    ['FC031234', 'FC031234'],
    ['IP28686R', 'IP28686R'],
    ['RS007001', 'RS007001'],
  ];
  for (const [raw, expected] of valid) t.same(parseCompaniesHouseNumber(raw), { value: expected }, `${raw} → ${expected}`);

  const invalid: [string, RegExp][] = [
    ['123456789', /8 characters/],
    ['SC1234567', /8 characters/],
    ['XX123456', /prefix Companies House uses/],
    ['ZZ1234', /prefix Companies House uses/],
    ['00000000', /correct format/],
    ['SC', /correct format/],
    ['12345A78', /correct format/],
    ['ABCDEFGH', /correct format/],
    ['S1234567', /correct format/],
    ['SC12345X', /correct format/],
  ];
  for (const [raw, message] of invalid) t.match(parseCompaniesHouseNumber(raw), { problem: message }, `${raw} is refused`);

  t.equal(companiesHouseUrl('SC012345'), 'https://find-and-update.company-information.service.gov.uk/company/SC012345');
});

t.test('charity numbers by register', async (t) => {
  t.same(parseCharityNumber('england_wales', '1234567'), { value: '1234567' });
  t.same(parseCharityNumber('england_wales', '202918'), { value: '202918' }, 'older 6-digit numbers');
  t.same(parseCharityNumber('england_wales', '1234567-1'), { value: '1234567-1' }, 'a linked charity');
  t.same(parseCharityNumber('england_wales', ' 1234567 - 02 '), { value: '1234567-2' }, 'spaces and leading zeros of the linked number dropped');
  t.same(parseCharityNumber('england_wales', '1234567\u20111'), { value: '1234567-1' }, 'a typographic hyphen is read as a hyphen');
  for (const bad of ['12345', '12345678', '0123456', 'SC012345', '1234567-', '1234567-1234', 'abc']) {
    t.match(parseCharityNumber('england_wales', bad), { problem: /England and Wales/ }, `E&W refuses ${bad}`);
  }

  t.same(parseCharityNumber('scotland', 'SC012345'), { value: 'SC012345' });
  t.same(parseCharityNumber('scotland', 'sc 012 345'), { value: 'SC012345' });
  for (const bad of ['012345', 'SC12345', 'SC0123456', 'NIC100002', 'SO012345']) {
    t.match(parseCharityNumber('scotland', bad), { problem: /Scottish/ }, `Scotland refuses ${bad}`);
  }

  t.same(parseCharityNumber('northern_ireland', 'NIC100002'), { value: 'NIC100002' });
  t.same(parseCharityNumber('northern_ireland', 'nic 104567'), { value: 'NIC104567' });
  t.same(parseCharityNumber('northern_ireland', '100002'), { value: 'NIC100002' }, 'the number alone, as the register shows it');
  for (const bad of ['NIC200002', '200002', 'NIC10002', 'NIC1000023', 'XN12345', '1234567']) {
    t.match(parseCharityNumber('northern_ireland', bad), { problem: /Northern Ireland/ }, `NI refuses ${bad}`);
  }

  t.equal(charityRegisterUrl('england_wales', '1234567'), 'https://register-of-charities.charitycommission.gov.uk/en/charity-search/-/charity-details/1234567');
  t.equal(charityRegisterUrl('england_wales', '1234567-1'), 'https://register-of-charities.charitycommission.gov.uk/en/charity-search/-/charity-details/1234567?subId=1');
  t.equal(charityRegisterUrl('scotland', 'SC012345'), 'https://www.oscr.org.uk/about-charities/search-the-register/charity-details?number=SC012345');
  t.equal(charityRegisterUrl('northern_ireland', 'NIC100002'), 'https://www.charitycommissionni.org.uk/charity-details/?regId=100002&subId=0');
});

t.test('postcodes are checked and normalised; the local flag matches whole outward codes', async (t) => {
  const valid: [string, string][] = [
    ['b66 1aa', 'B66 1AA'],
    ['B661AA', 'B66 1AA'],
    ['  b66   1aa ', 'B66 1AA'],
    ['DY4 7AB', 'DY4 7AB'],
    ['ws101xx', 'WS10 1XX'],
    ['SW1A 1AA', 'SW1A 1AA'],
    ['EC1A1BB', 'EC1A 1BB'],
    ['M1 1AE', 'M1 1AE'],
    ['BT1 5GS', 'BT1 5GS'],
    ['gir0aa', 'GIR 0AA'],
  ];
  for (const [raw, expected] of valid) t.same(parsePostcode(raw), { value: expected }, `${raw} → ${expected}`);
  for (const bad of ['', 'B66', '1AA', 'B66 AAA', 'B66 1A', '666 1AA', 'BBB6 1AA', 'B66 1AAA', 'GIR 1AA', 'B66-1AA']) {
    t.match(parsePostcode(bad), { problem: /real postcode/ }, `refuses "${bad}"`);
  }

  t.equal(outwardCode('B66 1AA'), 'B66');
  const districts = ['B64', 'B66', 'DY4', 'WS10'];
  t.equal(isLocalPostcode('B66 1AA', districts), true);
  t.equal(isLocalPostcode('WS10 1XX', districts), true);
  t.equal(isLocalPostcode('B6 1AA', districts), false, 'B6 is not B66');
  t.equal(isLocalPostcode('B661 1AA', districts), false);
  t.equal(isLocalPostcode('WS1 1AA', districts), false, 'WS1 is not WS10');
  t.equal(isLocalPostcode(null, districts), false);
});

t.test('websites: http or https with a real host; a bare host means https', async (t) => {
  t.same(parseWebsite('https://www.example.org'), { value: 'https://www.example.org' });
  t.same(parseWebsite('https://www.example.org/'), { value: 'https://www.example.org' });
  t.same(parseWebsite('http://example.co.uk/about-us?x=1'), { value: 'http://example.co.uk/about-us?x=1' });
  t.same(parseWebsite('www.example.org'), { value: 'https://www.example.org' });
  t.same(parseWebsite('Example.ORG/Shop'), { value: 'https://example.org/Shop' });
  for (const bad of ['javascript:alert(1)', 'ftp://example.org', 'https://localhost', 'https://exa mple.org', 'mailto:a@example.org', 'https://user:pw@example.org', 'not a website', 'https://', 'https://192.168.0.1']) {
    t.ok(parseWebsite(bad).problem, `refuses ${bad}`);
  }
});

t.test('CSV: RFC 4180 quoting, CRLF lines, spreadsheet formulas neutralised', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a, b'), '"a, b"');
  t.equal(csvCell('say "hello"'), '"say ""hello"""');
  t.equal(csvCell('two\nlines'), '"two\nlines"');
  t.equal(csvCell('=SUM(A1:A2)'), "'=SUM(A1:A2)");
  t.equal(csvCell('+44 121'), "'+44 121");
  t.equal(csvCell('-1'), "'-1");
  t.equal(csvCell('@cmd'), "'@cmd");
  t.equal(csvCell('=HYPERLINK("http://x","y")'), '"\'=HYPERLINK(""http://x"",""y"")"', 'neutralised, then quoted');
  t.equal(csvCell('\t=1'), "'\t=1");
  t.equal(csvCell(null), '');
  t.equal(csvCell(true), 'Yes');
  t.equal(csvCell(false), 'No');
  t.equal(csvLine(['a', 'b,c']), 'a,"b,c"\r\n');
  t.equal(csvDocument(['x', 'y'], [['1', '2']]), '\uFEFFx,y\r\n1,2\r\n');
});
