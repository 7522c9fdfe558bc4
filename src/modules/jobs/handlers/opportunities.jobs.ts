/**
 * The time-driven steps of an opportunity's life, run through the queue every minute:
 * publishing scheduled opportunities whose time has come and closing open ones whose tender
 * deadline has passed. Several workers may run them at once: the lifecycle functions lock each
 * row with SKIP LOCKED, so every opportunity moves exactly once.
 *
 * To publish one promptly at its own time rather than at the next minute, enqueue
 * `send(PUBLISH_DUE_JOB, {}, { startAfter: publishAt })`: the job waits until then.
 */
import { closeExpiredOpportunities, publishDueOpportunities, type LifecycleContext } from '../../opportunities/opportunities.lifecycle.js';
import { defineJob, type JobDefinition, type QueueSettings } from '../job-definition.js';

export const PUBLISH_DUE_JOB = 'opportunities.publish-due';
export const CLOSE_EXPIRED_JOB = 'opportunities.close-expired';

const EVERY_MINUTE = '* * * * *';

// A failed run is retried soon (the next scheduled run would also catch up, but a retry keeps a
// prompt publish prompt); a run stuck for 5 minutes is failed so that another worker retries it.
const LIFECYCLE_QUEUE: QueueSettings = { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 5 * 60 };

function lifecycleJob(name: string, step: (context: LifecycleContext) => Promise<number>, moved: string): JobDefinition {
  return defineJob({
    name,
    queue: LIFECYCLE_QUEUE,
    schedule: { cron: EVERY_MINUTE },
    async handle(_job, { database, config, logger, clock }) {
      const count = await step({ db: database.db, ocidPrefix: config.ocidPrefix, now: clock() });
      if (count > 0) logger.info({ count }, `${moved} ${count} ${count === 1 ? 'opportunity' : 'opportunities'}`);
      return { count };
    },
  });
}

export const publishDueJob = lifecycleJob(PUBLISH_DUE_JOB, publishDueOpportunities, 'published');
export const closeExpiredJob = lifecycleJob(CLOSE_EXPIRED_JOB, closeExpiredOpportunities, 'closed');
