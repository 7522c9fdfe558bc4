/**
 * The staff page of an opportunity and its lifecycle actions (/manage/opportunities/:id and
 * /publish, /schedule, /unschedule, /stage, /amend, /close, /cancel): every transition writes the
 * release and audit entry it should and the public page follows; illegal transitions, stale
 * versions, missing readiness, bad input, other organisations, viewers, anonymous visitors and
 * missing CSRF tokens are refused with nothing written.
 */
import type * as cheerio from 'cheerio';
import { and, asc, eq } from 'drizzle-orm';
import t from 'tap';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { londonDate, londonToUtc } from '../../src/lib/london-time.js';
import { auditLog } from '../../src/modules/audit/audit.table.js';
import { PUBLISH_DUE_JOB } from '../../src/modules/jobs/handlers/opportunities.jobs.js';
import { describeChanges } from '../../src/modules/opportunities/manage/lifecycle.routes.js';
import { publishDueOpportunities } from '../../src/modules/opportunities/opportunities.lifecycle.js';
import { opportunities, releases } from '../../src/modules/opportunities/opportunities.table.js';
import { formErrors, page } from '../accounts/support.js';
import { get, post, signedIn, type Session } from '../admin/support.js';
import { buildTestApp, type TestContext } from '../helper.js';
import { addLot, createBuyer, createOpportunity, editWorkingCopy, publish } from '../support/factories.js';

const DAY = 86_400_000;

interface Scenario {
  app: App;
  database: Database;
  clock: { now: Date };
  buyerId: number;
  editor: Session;
  viewer: Session;
  ocidPrefix: string;
}

async function scenario(t: TestContext): Promise<Scenario> {
  const clock = { now: new Date() };
  const { app, database, config } = await buildTestApp(t, { clock: () => clock.now });
  const buyer = await createBuyer(database, { name: 'Sandwell Council' });
  const editor = await signedIn(app, database, { name: 'Eddie Editor', buyer: { buyerId: buyer.id, role: 'editor' } });
  const viewer = await signedIn(app, database, { name: 'Vic Viewer', buyer: { buyerId: buyer.id, role: 'viewer' } });
  return { app, database, clock, buyerId: buyer.id, editor, viewer, ocidPrefix: config.ocidPrefix };
}

type OpportunityOverrides = Parameters<typeof createOpportunity>[2];

/** A draft, ready to publish as open (a deadline 40 days ahead, below the threshold, so no warning). */
function draft(s: Scenario, overrides: OpportunityOverrides = {}) {
  return createOpportunity(s.database, s.buyerId, {
    stage: 'open',
    valueMinPence: 2_000_000,
    valueMaxPence: 5_000_000,
    tenderDeadline: new Date(s.clock.now.getTime() + 40 * DAY),
    ...overrides,
  });
}

/** A published opportunity in `stage` (published a month ago). */
async function published(s: Scenario, stage: 'pipeline' | 'planned' | 'open' | 'closed' | 'awarded', overrides: OpportunityOverrides = {}) {
  const row = await draft(s, { stage, ...overrides });
  await publish(s.database, row.id, { at: new Date(s.clock.now.getTime() - 30 * DAY) });
  return row;
}

async function row(s: Scenario, id: number) {
  const [found] = await s.database.db.select().from(opportunities).where(eq(opportunities.id, id));
  return found!;
}

async function releasesOf(s: Scenario, id: number) {
  return s.database.db.select().from(releases).where(eq(releases.opportunityId, id)).orderBy(asc(releases.sequence));
}

async function auditOf(s: Scenario, id: number) {
  return s.database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, 'opportunity'), eq(auditLog.entityId, String(id))))
    .orderBy(asc(auditLog.id));
}

/** Everything an action could write, to show a refused one wrote nothing. */
async function written(s: Scenario, id: number): Promise<string> {
  const { rows } = await s.database.pool.query<{ dump: unknown }>(
    `select jsonb_build_object(
       'opportunity', (select to_jsonb(o) from opportunities o where id = $1),
       'releases', (select count(*) from releases where opportunity_id = $1),
       'audit', (select count(*) from audit_log),
       'jobs', (select count(*) from pgboss.job where name = $2)
     ) as dump`,
    [id, PUBLISH_DUE_JOB],
  );
  return JSON.stringify(rows[0]!.dump);
}

const url = (id: number, action = '') => `/manage/opportunities/${id}${action ? `/${action}` : ''}`;
const v = async (s: Scenario, id: number) => String((await row(s, id)).version);

function dateFields(prefix: string, iso: string, time?: string): Record<string, string> {
  const [year, month, day] = iso.split('-');
  return { [`${prefix}-day`]: String(Number(day)), [`${prefix}-month`]: String(Number(month)), [`${prefix}-year`]: year!, ...(time !== undefined ? { [`${prefix}-time`]: time } : {}) };
}

/** The flash banner on the page a redirect leads to. */
async function followFlash(s: Scenario, response: Awaited<ReturnType<typeof post>>, session: Session) {
  const staff = page(await get(s.app, response.headers.location as string, session));
  return staff('.govuk-notification-banner--success').text().replace(/\s+/g, ' ').trim();
}

const texts = ($: cheerio.CheerioAPI, selector: string) => $(selector).map((_, el) => $(el).text().replace(/\s+/g, ' ').trim()).get();

t.test('the staff page of a draft: status, task list of steps, preview, and actions for editors only', async (t) => {
  const s = await scenario(t);
  const o = await draft(s, { cpvCodes: [], reference: 'SC-2027-001', reservation: 'sme', valueMaxPence: 900_000_000 });

  const res = await get(s.app, url(o.id), s.editor);
  t.equal(res.statusCode, 200);
  const $ = page(res);
  t.equal($('h1').text().trim(), o.title);
  t.match($('#status').text(), /Draft[\s\S]*This opportunity is a draft/);
  t.match($('#facts').text(), /Stage it will be published in[\s\S]*Open: open for bids now[\s\S]*SC-2027-001[\s\S]*Version[\s\S]*1/);
  t.equal($('#preview-link').attr('href'), `/manage/opportunities/${o.id}/preview`);

  const steps = $('#steps .govuk-task-list__item');
  t.same(
    steps.map((_, li) => [[$(li).find('.govuk-task-list__name-and-hint > :first-child').text().trim(), $(li).find('.govuk-task-list__status').text().trim()]]).get(),
    [
      ['About the contract', 'Completed'],
      ['Categories', 'Not yet started'],
      ['Lots', 'Optional'],
      ['Value and who can bid', 'There is a problem'],
      ['Key dates', 'Completed'],
      ['Contact and how to respond', 'Completed'],
      ['Publish', 'Cannot start yet'],
    ],
  );
  t.equal($('#steps a[href$="/edit/categories"]').length, 1, 'each step links to its page');
  t.match($('#steps-2-hint').text(), /Choose at least one category/, 'the problem is the step’s hint');
  t.same(texts($, '#actions .govuk-button'), ['Publish now', 'Choose a time to publish']);
  t.match($('#releases').text(), /Nothing has been published yet/);
  t.equal($('#audit').length, 1);

  const asViewer = page(await get(s.app, url(o.id), s.viewer));
  t.equal(asViewer('h1').text().trim(), o.title, 'viewers see the page');
  t.equal(asViewer('#actions').length, 0, 'but no actions');
  t.equal(asViewer('#steps a').length, 0, 'and no links to edit');

  const other = await createBuyer(s.database);
  const foreign = await createOpportunity(s.database, other.id);
  t.equal((await get(s.app, url(foreign.id), s.editor)).statusCode, 404, 'another organisation’s opportunity is not found');
  t.equal((await get(s.app, url(99_999_999), s.editor)).statusCode, 404);
  t.equal((await get(s.app, '/manage/opportunities/abc', s.editor)).statusCode, 404);
  const anonymous = await get(s.app, url(o.id));
  t.equal(anonymous.statusCode, 303);
  t.match(anonymous.headers.location, /^\/sign-in\?returnTo=/);
});

t.test('publish now: warnings, a release and an audit entry, the public page; then only published actions', async (t) => {
  const s = await scenario(t);
  // Above the threshold with an open procedure and only 14 days to bid: a statutory warning.
  const o = await draft(s, { valueMinPence: 30_000_000, valueMaxPence: 40_000_000, tenderDeadline: new Date(s.clock.now.getTime() + 14 * DAY) });

  const form = page(await get(s.app, url(o.id, 'publish'), s.editor));
  t.match(form('.govuk-warning-text').text(), /The tender period is 14 days\. Above the procurement threshold the law requires at least 25 days/);
  t.equal(form('input[name="version"]').val(), '1');
  t.equal((await get(s.app, `/opportunities/${o.id}`)).statusCode, 404, 'not public before');

  const res = await post(s.app, url(o.id, 'publish'), { version: '1' }, s.editor);
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, url(o.id));
  t.match(await followFlash(s, res, s.editor), /Published/);

  const after = await row(s, o.id);
  t.equal(after.status, 'published');
  t.equal(after.version, 2);
  const [release] = await releasesOf(s, o.id);
  t.same(release!.tags, ['tender']);
  const audit = await auditOf(s, o.id);
  t.same(audit.map((a) => [a.action, a.actorLabel]), [['opportunity.published', 'Eddie Editor']]);
  t.match(audit[0]!.after, { stage: 'open', cancelled: false });
  t.equal((await get(s.app, `/opportunities/${o.id}`)).statusCode, 200, 'the public sees it');

  const $ = page(await get(s.app, url(o.id), s.editor));
  t.equal($('#public-link').attr('href'), `/opportunities/${o.id}`);
  t.match($('#unpublished-changes').text(), /no unpublished changes/);
  t.same(texts($, '#actions .govuk-button'), ['Close for bids early', 'Cancel the opportunity'], 'an open one can be closed or cancelled');
  t.equal($('#steps').length, 0, 'no task list once published');
  t.equal($('#edit-steps a').length, 6, 'but the steps can be changed');
  t.match($('#releases tbody').text(), /Tender notice \(open for bids\)[\s\S]*First published/);
  t.match($('#audit tbody').text(), /Eddie Editor[\s\S]*Published[\s\S]*Stage[\s\S]*Open/);

  t.equal((await get(s.app, url(o.id, 'publish'), s.editor)).statusCode, 409, 'publishing again is refused');
  const before = await written(s, o.id);
  const again = await post(s.app, url(o.id, 'publish'), { version: '2' }, s.editor);
  t.equal(again.statusCode, 409);
  t.match(page(again)('#refusal').text(), /already been published/);
  t.equal(await written(s, o.id), before, 'nothing written');
});

t.test('publishing an open opportunity without a tender deadline lists the problem, linking to its step', async (t) => {
  const s = await scenario(t);
  const o = await draft(s, { tenderDeadline: null });

  const form = await get(s.app, url(o.id, 'publish'), s.editor);
  t.equal(form.statusCode, 200);
  t.same(formErrors(form).summary, [{ href: `/manage/opportunities/${o.id}/edit/dates#tenderDeadline`, text: 'Enter the deadline for bids: suppliers must know when to respond by' }]);
  t.equal(page(form)('form button').length, 0, 'no button while it cannot be published');

  const before = await written(s, o.id);
  const res = await post(s.app, url(o.id, 'publish'), { version: '1' }, s.editor);
  t.equal(res.statusCode, 400);
  const errors = formErrors(res);
  t.match(errors.title, /^Error: /);
  t.same(errors.summary.map((e) => e.href), [`/manage/opportunities/${o.id}/edit/dates#tenderDeadline`]);
  t.equal(await written(s, o.id), before, 'nothing written');
});

t.test('schedule (not in the past), unschedule, schedule again; the queue publishes it at its time', async (t) => {
  const s = await scenario(t);
  const o = await draft(s);

  const form = page(await get(s.app, url(o.id, 'schedule'), s.editor));
  t.equal(form('#publishAt-day').length, 1);
  t.equal(form('#publishAt-time').length, 1);

  const before = await written(s, o.id);
  const yesterday = londonDate(new Date(s.clock.now.getTime() - DAY));
  const past = await post(s.app, url(o.id, 'schedule'), { version: '1', ...dateFields('publishAt', yesterday, '10:00') }, s.editor);
  t.equal(past.statusCode, 400, 'a time in the past is refused');
  t.same(formErrors(past).summary, [{ href: '#publishAt-day', text: 'The time to publish must be in the future. To publish straight away, choose “Publish now”' }]);
  t.equal(page(past)('#publishAt-time').val(), '10:00', 'what was typed is kept');
  const missing = await post(s.app, url(o.id, 'schedule'), { version: '1', 'publishAt-day': '', 'publishAt-month': '', 'publishAt-year': '', 'publishAt-time': '' }, s.editor);
  t.equal(missing.statusCode, 400);
  t.same(formErrors(missing).fields, { publishAt: 'Enter the date to publish' });
  const badTime = await post(s.app, url(o.id, 'schedule'), { version: '1', ...dateFields('publishAt', londonDate(new Date(s.clock.now.getTime() + 3 * DAY)), '25:99') }, s.editor);
  t.equal(badTime.statusCode, 400);
  t.match(formErrors(badTime).fields['publishAt-time'], /must be a real time/);
  t.equal(await written(s, o.id), before, 'nothing written');

  const day = londonDate(new Date(s.clock.now.getTime() + 3 * DAY));
  const publishAt = londonToUtc(day, '14:30');
  const res = await post(s.app, url(o.id, 'schedule'), { version: '1', ...dateFields('publishAt', day, '2:30pm') }, s.editor);
  t.equal(res.statusCode, 303);
  t.match(await followFlash(s, res, s.editor), /Scheduled to publish on .* at 2:30pm/);
  let current = await row(s, o.id);
  t.equal(current.status, 'scheduled');
  t.equal(current.publishAt?.toISOString(), publishAt.toISOString(), 'the London time is stored in UTC');
  const { rows: jobs } = await s.database.pool.query<{ start_after: Date }>('select start_after from pgboss.job where name = $1', [PUBLISH_DUE_JOB]);
  t.same(jobs.map((j) => j.start_after.toISOString()), [publishAt.toISOString()], 'a publishing job waits for that time');
  t.same((await auditOf(s, o.id)).map((a) => a.action), ['opportunity.scheduled']);
  t.equal((await releasesOf(s, o.id)).length, 0, 'nothing public yet');

  let $ = page(await get(s.app, url(o.id), s.editor));
  t.match($('#status').text(), /Scheduled[\s\S]*scheduled to be published on/);
  t.same(texts($, '#actions .govuk-button'), ['Publish now', 'Change the time to publish', 'Stop scheduled publishing']);
  t.equal(page(await get(s.app, url(o.id, 'schedule'), s.editor))('#publishAt-time').val(), '14:30', 'the form shows the time set');

  const stop = await post(s.app, url(o.id, 'unschedule'), { version: String(current.version) }, s.editor);
  t.equal(stop.statusCode, 303);
  current = await row(s, o.id);
  t.equal(current.status, 'draft');
  t.equal(current.publishAt, null);
  const unscheduled = (await auditOf(s, o.id)).at(-1)!;
  t.equal(unscheduled.action, 'opportunity.unscheduled');
  t.match(unscheduled.before, { status: 'scheduled' });
  t.match(unscheduled.after, { status: 'draft' });
  t.equal((await get(s.app, url(o.id, 'unschedule'), s.editor)).statusCode, 409, 'a draft cannot be unscheduled');

  t.equal((await post(s.app, url(o.id, 'schedule'), { version: String(current.version), ...dateFields('publishAt', day, '') }, s.editor)).statusCode, 303);
  current = await row(s, o.id);
  t.equal(current.publishAt?.toISOString(), londonToUtc(day, '09:00').toISOString(), 'without a time it publishes at 9am');

  t.equal(await publishDueOpportunities({ db: s.database.db, ocidPrefix: s.ocidPrefix, now: new Date(current.publishAt!.getTime() - 60_000) }), 0, 'not before its time');
  t.equal(await publishDueOpportunities({ db: s.database.db, ocidPrefix: s.ocidPrefix, now: new Date(current.publishAt!.getTime() + 60_000) }), 1);
  t.equal((await row(s, o.id)).status, 'published');
  t.equal((await get(s.app, `/opportunities/${o.id}`)).statusCode, 200, 'the public sees it');
  $ = page(await get(s.app, url(o.id), s.editor));
  t.match($('#audit tbody').text(), /system: scheduled publishing/);
});

t.test('stages: pipeline → planned → open, each a release; open → planned and moving without readiness refused', async (t) => {
  const s = await scenario(t);
  const o = await published(s, 'pipeline', { tenderDeadline: null });

  let $ = page(await get(s.app, url(o.id), s.editor));
  t.same(texts($, '#actions .govuk-button'), ['Move to planned', 'Move to open', 'Cancel the opportunity']);
  t.equal($('#actions a[href$="/stage?to=open"]').length, 1);

  const form = page(await get(s.app, `${url(o.id, 'stage')}?to=planned`, s.editor));
  t.same(form('input[name="to"]').map((_, el) => form(el).val()).get(), ['planned', 'open'], 'the stages it can move to');
  t.equal(form('input[name="to"][value="planned"]').attr('checked'), 'checked', 'the one chosen on the staff page is selected');
  t.match(form('#open-problems').text(), /Enter the deadline for bids/, 'what opening needs is shown');

  const none = await post(s.app, url(o.id, 'stage'), { version: await v(s, o.id), to: '' }, s.editor);
  t.equal(none.statusCode, 400);
  t.same(formErrors(none).summary, [{ href: '#to', text: 'Choose the stage to move it to' }]);

  const planned = await post(s.app, url(o.id, 'stage'), { version: await v(s, o.id), to: 'planned', note: '' }, s.editor);
  t.equal(planned.statusCode, 303);
  t.equal((await row(s, o.id)).stage, 'planned');
  let rels = await releasesOf(s, o.id);
  t.same(rels.map((r) => [r.sequence, r.tags, r.stage, r.isLatest]), [
    [1, ['planning'], 'pipeline', false],
    [2, ['planning'], 'planned', true],
  ]);
  t.match(rels[1]!.changeNote, /Moved to planned/);

  let before = await written(s, o.id);
  const notReady = await post(s.app, url(o.id, 'stage'), { version: await v(s, o.id), to: 'open', note: 'Bids welcome' }, s.editor);
  t.equal(notReady.statusCode, 400, 'open needs a deadline for bids');
  t.same(formErrors(notReady).summary.map((e) => e.href), [`/manage/opportunities/${o.id}/edit/dates#tenderDeadline`]);
  t.equal(page(notReady)('#note').text(), 'Bids welcome', 'the note typed is kept');
  t.equal(await written(s, o.id), before, 'nothing written');

  await editWorkingCopy(s.database, o.id, { tenderDeadline: new Date(s.clock.now.getTime() + 5 * DAY) });
  const openForm = page(await get(s.app, url(o.id, 'stage'), s.editor));
  t.match(openForm('.govuk-warning-text').text(), /If you open it for bids now: The tender period is 5 days/, 'the tender period is warned about');
  const open = await post(s.app, url(o.id, 'stage'), { version: await v(s, o.id), to: 'open', note: 'Now open: bids by the deadline please.' }, s.editor);
  t.equal(open.statusCode, 303);
  t.match(await followFlash(s, open, s.editor), /Moved to open/);
  rels = await releasesOf(s, o.id);
  t.same(rels.at(-1)!.tags, ['tender']);
  t.equal(rels.at(-1)!.changeNote, 'Now open: bids by the deadline please.');
  t.same((await auditOf(s, o.id)).filter((a) => a.action === 'opportunity.stage_changed').length, 2);
  const stageAudit = (await auditOf(s, o.id)).at(-1)!;
  t.match(stageAudit.before, { stage: 'planned' });
  t.match(stageAudit.after, { stage: 'open' });

  t.equal((await get(s.app, url(o.id, 'stage'), s.editor)).statusCode, 409, 'an open one has no stage to move to');
  before = await written(s, o.id);
  const back = await post(s.app, url(o.id, 'stage'), { version: await v(s, o.id), to: 'planned' }, s.editor);
  t.equal(back.statusCode, 409);
  t.match(page(back)('#refusal').text(), /cannot be moved to another stage\. It closes at the deadline for bids, or when you close it early\./);
  t.equal(page(back)('a[href="' + url(o.id) + '"]').length, 1, 'with a link back');
  t.equal(await written(s, o.id), before, 'nothing written');

  $ = page(await get(s.app, `/opportunities/${o.id}`));
  t.match($('#history').next().text(), /Now open: bids by the deadline please\.[\s\S]*Moved to planned/);
});

t.test('publishing changes: what changed, a required note, refused with nothing changed; the public page shows “Updated”', async (t) => {
  const s = await scenario(t);
  const o = await draft(s, { title: 'Cleaning of council offices' });
  await addLot(s.database, o.id, 1, 'Town hall');
  await publish(s.database, o.id, { at: new Date(s.clock.now.getTime() - 30 * DAY) });

  let form = page(await get(s.app, url(o.id, 'amend'), s.editor));
  t.match(form('#no-changes').text(), /Nothing has changed since this opportunity was last published/);
  t.equal(form('textarea').length, 0);
  let before = await written(s, o.id);
  const nothing = await post(s.app, url(o.id, 'amend'), { version: await v(s, o.id), note: 'No change really' }, s.editor);
  t.equal(nothing.statusCode, 409);
  t.match(page(nothing)('#refusal').text(), /Nothing has changed/);
  t.equal(await written(s, o.id), before, 'nothing written');

  const newDeadline = new Date(s.clock.now.getTime() + 50 * DAY);
  await editWorkingCopy(s.database, o.id, { title: 'Cleaning of council offices and libraries', tenderDeadline: newDeadline });
  let $ = page(await get(s.app, url(o.id), s.editor));
  t.match($('#unpublished-changes').text(), /cannot see your changes/);
  t.equal($('#actions a[href$="/amend"]').text().trim(), 'Publish changes');

  form = page(await get(s.app, url(o.id, 'amend'), s.editor));
  const changes = texts(form, '#changes .govuk-summary-list__row');
  t.match(changes.join('\n'), /Title Was: Cleaning of council offices Now: Cleaning of council offices and libraries/);
  t.match(changes.join('\n'), /Deadline for bids Was: .* Now: .*/);
  t.equal(changes.length, 2, 'only what changed (not the lots, stored in another key order)');

  before = await written(s, o.id);
  const noNote = await post(s.app, url(o.id, 'amend'), { version: await v(s, o.id), note: '  ' }, s.editor);
  t.equal(noNote.statusCode, 400);
  t.same(formErrors(noNote).summary, [{ href: '#note', text: 'Say what has changed: the note is shown to the public' }]);
  const tooLong = await post(s.app, url(o.id, 'amend'), { version: await v(s, o.id), note: 'x'.repeat(1001) }, s.editor);
  t.equal(tooLong.statusCode, 400);
  t.equal(page(tooLong)('#note').text(), 'x'.repeat(1001), 'the note typed is kept');
  t.equal(await written(s, o.id), before, 'nothing written');

  const res = await post(s.app, url(o.id, 'amend'), { version: await v(s, o.id), note: 'Libraries added; the deadline is later.' }, s.editor);
  t.equal(res.statusCode, 303);
  const rels = await releasesOf(s, o.id);
  t.same(rels.at(-1)!.tags, ['tenderAmendment']);
  t.equal(rels.at(-1)!.changeNote, 'Libraries added; the deadline is later.');
  const amended = (await auditOf(s, o.id)).at(-1)!;
  t.equal(amended.action, 'opportunity.amended');
  t.match(amended.before, { title: 'Cleaning of council offices' });
  t.match(amended.after, { title: 'Cleaning of council offices and libraries', changeNote: 'Libraries added; the deadline is later.' });

  $ = page(await get(s.app, `/opportunities/${o.id}`));
  t.equal($('h1').text().trim(), 'Cleaning of council offices and libraries');
  const history = $('#history').next();
  t.match(history.find('li').first().text(), /Updated[\s\S]*Libraries added; the deadline is later\./);
  t.match($('main').text(), /Updated .*see what changed/);

  $ = page(await get(s.app, url(o.id), s.editor));
  t.match($('#unpublished-changes').text(), /no unpublished changes/);
  t.match($('#audit tbody tr').first().text(), /Published changes[\s\S]*Title: Cleaning of council offices → Cleaning of council offices and libraries/);
});

t.test('close early with a public reason; only an open one', async (t) => {
  const s = await scenario(t);
  const o = await published(s, 'open');

  const form = page(await get(s.app, url(o.id, 'close'), s.editor));
  t.equal(form('h1').text().trim(), 'Close for bids early');
  let before = await written(s, o.id);
  const noReason = await post(s.app, url(o.id, 'close'), { version: await v(s, o.id), reason: '' }, s.editor);
  t.equal(noReason.statusCode, 400);
  t.same(formErrors(noReason).fields, { reason: 'Say why you are closing it early: the reason is shown to the public' });
  t.equal(await written(s, o.id), before);

  const res = await post(s.app, url(o.id, 'close'), { version: await v(s, o.id), reason: 'The service is no longer needed this year.' }, s.editor);
  t.equal(res.statusCode, 303);
  t.equal((await row(s, o.id)).stage, 'closed');
  const last = (await releasesOf(s, o.id)).at(-1)!;
  t.same(last.tags, ['tenderUpdate']);
  t.equal(last.changeNote, 'The service is no longer needed this year.');
  const audit = (await auditOf(s, o.id)).at(-1)!;
  t.equal(audit.action, 'opportunity.closed_early');
  t.match(audit.before, { stage: 'open' });
  t.match(audit.after, { stage: 'closed' });

  const $ = page(await get(s.app, url(o.id), s.editor));
  t.same(texts($, '#actions .govuk-button'), ['Award the contract', 'Cancel the opportunity'], 'a closed one can be awarded or cancelled');
  t.equal($('#actions a[href$="/awards/new"]').length, 1);

  t.equal((await get(s.app, url(o.id, 'close'), s.editor)).statusCode, 409);
  before = await written(s, o.id);
  const again = await post(s.app, url(o.id, 'close'), { version: await v(s, o.id), reason: 'Again' }, s.editor);
  t.equal(again.statusCode, 409);
  t.match(page(again)('#refusal').text(), /Only an opportunity that is open for bids can be closed/);
  t.equal(await written(s, o.id), before);
});

t.test('cancel with a reason: cannot be undone, no actions after; an awarded one cannot be cancelled', async (t) => {
  const s = await scenario(t);
  const o = await published(s, 'planned');
  const form = page(await get(s.app, url(o.id, 'cancel'), s.editor));
  t.match(form('#cannot-be-undone').text(), /This cannot be undone/);

  let before = await written(s, o.id);
  const noReason = await post(s.app, url(o.id, 'cancel'), { version: await v(s, o.id), reason: ' ' }, s.editor);
  t.equal(noReason.statusCode, 400);
  t.same(formErrors(noReason).summary, [{ href: '#reason', text: 'Give the reason for cancelling: it is shown to the public' }]);
  t.equal(await written(s, o.id), before);

  const res = await post(s.app, url(o.id, 'cancel'), { version: await v(s, o.id), reason: 'The funding was withdrawn.' }, s.editor);
  t.equal(res.statusCode, 303);
  t.match(await followFlash(s, res, s.editor), /Opportunity cancelled/);
  const current = await row(s, o.id);
  t.equal(current.status, 'cancelled');
  t.equal(current.cancellationReason, 'The funding was withdrawn.');
  const last = (await releasesOf(s, o.id)).at(-1)!;
  t.same(last.tags, ['tenderCancellation']);
  t.equal(last.cancelled, true);
  t.equal(last.changeNote, 'Cancelled: The funding was withdrawn.');
  const audit = (await auditOf(s, o.id)).at(-1)!;
  t.equal(audit.action, 'opportunity.cancelled');
  t.match(audit.after, { cancelled: true, cancellationReason: 'The funding was withdrawn.' });

  let $ = page(await get(s.app, url(o.id), s.editor));
  t.equal($('#actions').length, 0, 'no actions on a cancelled opportunity');
  t.equal($('#edit-steps').length, 0);
  t.match($('#cancelled').text(), /The funding was withdrawn\./);
  $ = page(await get(s.app, `/opportunities/${o.id}`));
  t.match($('main').text(), /The buyer has cancelled this opportunity\.[\s\S]*The funding was withdrawn\./);

  for (const action of ['cancel', 'close', 'stage', 'amend', 'publish', 'schedule']) {
    t.equal((await get(s.app, url(o.id, action), s.editor)).statusCode, 409, `GET ${action} of a cancelled one is refused`);
  }
  before = await written(s, o.id);
  const again = await post(s.app, url(o.id, 'cancel'), { version: await v(s, o.id), reason: 'Again' }, s.editor);
  t.equal(again.statusCode, 409);
  t.match(page(again)('#refusal').text(), /has been cancelled/);
  t.equal(await written(s, o.id), before);

  const awarded = await published(s, 'awarded');
  t.equal((await get(s.app, url(awarded.id, 'cancel'), s.editor)).statusCode, 409);
  before = await written(s, awarded.id);
  const refused = await post(s.app, url(awarded.id, 'cancel'), { version: await v(s, awarded.id), reason: 'Changed our minds' }, s.editor);
  t.equal(refused.statusCode, 409);
  t.match(page(refused)('#refusal').text(), /has been awarded, so the opportunity cannot be cancelled/);
  t.equal(await written(s, awarded.id), before, 'nothing written');
  t.equal(page(await get(s.app, url(awarded.id), s.editor))('#actions a[href$="/cancel"]').length, 0, 'no cancel action once awarded');
});

t.test('a stale version is a conflict page showing what changed, and nothing is written', async (t) => {
  const s = await scenario(t);
  const o = await published(s, 'pipeline', { tenderDeadline: null });
  const colleague = await signedIn(s.app, s.database, { name: 'Cat Colleague', buyer: { buyerId: s.buyerId, role: 'editor' } });

  const mine = page(await get(s.app, url(o.id, 'cancel'), s.editor));
  const seen = { version: String(mine('input[name="version"]').val()), seenStatus: String(mine('input[name="seenStatus"]').val()), seenStage: String(mine('input[name="seenStage"]').val()) };
  t.same(seen, { version: '1', seenStatus: 'published', seenStage: 'pipeline' });

  t.equal((await post(s.app, url(o.id, 'stage'), { version: '1', to: 'planned' }, colleague)).statusCode, 303, 'a colleague moves it first');
  const before = await written(s, o.id);
  const res = await post(s.app, url(o.id, 'cancel'), { ...seen, reason: 'No longer needed' }, s.editor);
  t.equal(res.statusCode, 409);
  const $ = page(res);
  t.equal($('h1').text().trim(), 'This opportunity changed since you opened this page');
  t.same(
    $('#conflict tbody tr').map((_, tr) => [$(tr).find('th, td').map((__, c) => $(c).text().trim()).get()]).get(),
    [
      ['Status', 'Published', 'Published'],
      ['Stage', 'Pipeline', 'Planned'],
      ['Version', '1', '2'],
    ],
  );
  t.equal($(`a[href="${url(o.id, 'cancel')}"]`).text().trim(), 'Reload the page');
  t.equal(await written(s, o.id), before, 'nothing written');
  t.equal((await row(s, o.id)).status, 'published');

  const form = await post(s.app, url(o.id, 'cancel'), { ...seen, reason: '' }, s.editor);
  t.equal(form.statusCode, 400, 'a form error is shown first');
  t.equal(page(form)('input[name="version"]').val(), '1', 'and the re-rendered form keeps the version it was opened on');
});

t.test('other organisations, viewers, anonymous visitors, missing CSRF tokens and versions are refused; nothing is written', async (t) => {
  const s = await scenario(t);
  const o = await published(s, 'open');
  const other = await createBuyer(s.database);
  const outsider = await signedIn(s.app, s.database, { buyer: { buyerId: other.id, role: 'admin' } });
  const version = await v(s, o.id);
  const attempts: [string, Record<string, string>][] = [
    ['publish', {}],
    ['schedule', dateFields('publishAt', londonDate(new Date(s.clock.now.getTime() + 3 * DAY)), '10:00')],
    ['unschedule', {}],
    ['stage', { to: 'closed' }],
    ['amend', { note: 'Changed' }],
    ['close', { reason: 'Not needed' }],
    ['cancel', { reason: 'Not needed' }],
  ];
  const before = await written(s, o.id);
  for (const [action, fields] of attempts) {
    t.equal((await get(s.app, url(o.id, action), outsider)).statusCode, 404, `GET ${action}: another organisation’s is not found`);
    t.equal((await post(s.app, url(o.id, action), { version, ...fields }, outsider)).statusCode, 404, `POST ${action}: not found`);
    t.equal((await get(s.app, url(o.id, action), s.viewer)).statusCode, 403, `GET ${action}: viewers cannot`);
    t.equal((await post(s.app, url(o.id, action), { version, ...fields }, s.viewer)).statusCode, 403, `POST ${action}: viewers cannot`);
    const anonymous = await get(s.app, url(o.id, action));
    t.equal(anonymous.statusCode, 303, `GET ${action}: anonymous visitors are sent to sign in`);
    t.match(anonymous.headers.location, /^\/sign-in/);
    t.equal((await post(s.app, url(o.id, action), { version, ...fields }, s.editor, { csrf: null })).statusCode, 403, `POST ${action}: without a CSRF token`);
  }
  t.equal((await get(s.app, url(o.id), outsider)).statusCode, 404, 'the staff page too');
  const noVersion = await post(s.app, url(o.id, 'close'), { reason: 'Not needed' }, s.editor);
  t.equal(noVersion.statusCode, 400, 'a form without its version');
  t.match(page(noVersion)('main').text(), /without the version/);
  t.equal(await written(s, o.id), before, 'nothing written');
});

t.test('lots and awards on the staff page; the award action only when an award could be made', async (t) => {
  const s = await scenario(t);
  const o = await draft(s, { stage: 'open', tenderDeadline: new Date(s.clock.now.getTime() + 2 * DAY) });
  await addLot(s.database, o.id, 1, 'North parks');
  await addLot(s.database, o.id, 2, 'South parks');
  await publish(s.database, o.id, { at: new Date(s.clock.now.getTime() - DAY) });

  let $ = page(await get(s.app, url(o.id), s.editor));
  t.same(texts($, '#lots li'), ['North parks', 'South parks']);
  t.equal($('#actions a[href$="/awards/new"]').length, 0, 'bids still open: no award');
  s.clock.now = new Date(s.clock.now.getTime() + 3 * DAY);
  $ = page(await get(s.app, url(o.id), s.editor));
  t.equal($('#actions a[href$="/awards/new"]').length, 1, 'after the deadline it can be awarded');
  t.match($('#key-dates').text(), /Deadline for bids[\s\S]*\(closed\)/);
});

t.test('audit summaries are readable', async (t) => {
  const { changes, more } = describeChanges(
    { title: 'Old', status: 'draft', dates: { tenderDeadline: '2027-03-01T12:00:00.000Z', contractStart: '2027-04-01' }, value: { minPence: 100_000, maxPence: null }, lots: [{ title: 'North', id: 1 }] },
    { releaseId: 'ocds-op0rtl-1-2', tags: ['tenderAmendment'], changeNote: 'Later deadline.', title: 'New', status: 'scheduled', dates: { contractStart: '2027-04-01', tenderDeadline: '2027-03-08T12:00:00.000Z' }, value: { minPence: 250_000, maxPence: null }, lots: [{ id: 1, title: 'North', description: 'Now with hedges' }] },
  );
  t.same(changes, [
    { label: 'Title', before: 'Old', after: 'New' },
    { label: 'Status', before: 'Draft', after: 'Scheduled' },
    { label: 'Lowest value', before: '£1,000', after: '£2,500' },
    { label: 'Deadline for bids', before: '1 March 2027 at midday', after: '8 March 2027 at midday' },
    { label: 'Lots', before: 'North', after: 'North (details changed)' },
    { label: 'Public note', before: null, after: 'Later deadline.' },
  ], 'in the order of the steps; the release’s id and kind left out; keys compared whatever their order');
  t.equal(more, 0);
  const created = describeChanges(null, { title: 'Draft title', mainCategory: 'services', reference: null });
  t.same(created.changes, [
    { label: 'Title', before: null, after: 'Draft title' },
    { label: 'Type of contract', before: null, after: 'Services (work done for the buyer)' },
  ], 'a new record shows what was set');
});
