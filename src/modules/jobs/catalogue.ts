/**
 * Every job the portal runs. A domain adds its jobs by declaring them with defineJob() in its own
 * module (e.g. src/modules/mail/mail.jobs.ts) and listing them here; the runner needs no change.
 */
import { closeExpiredJob, publishDueJob } from './handlers/opportunities.jobs.js';
import type { JobDefinition } from './job-definition.js';
import { mailSendJob } from '../mail/mail.jobs.js';
import { pruneExpiredPersonalDataJob } from '../privacy/privacy.jobs.js';
import { searchIndexJob } from '../search/indexing.js';

export const jobCatalogue: readonly JobDefinition[] = [publishDueJob, closeExpiredJob, mailSendJob, pruneExpiredPersonalDataJob, searchIndexJob];
