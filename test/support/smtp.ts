/**
 * A real SMTP server in the test process (smtp-server, no TLS, no authentication, on 127.0.0.1)
 * that keeps every message it accepts, parsed with mailparser. Point the portal at it with
 * `SMTP_URL: server.url`. It stops at teardown.
 *
 * smtp-server greets a new connection only after 100 ms (to catch clients that talk first), so
 * the portal's pooled transport, which reuses its connections, is what keeps tests quick.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TestContext } from '../helper.js';
import { eventually } from '../jobs/support.js';

export interface ReceivedMail {
  /** The SMTP envelope: MAIL FROM and RCPT TO. */
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
  /** The message as received, for checks on the raw source. */
  raw: Buffer;
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Messages received so far, in order. */
  messages: ReceivedMail[];
  /** How many SMTP connections clients have opened. */
  connections: number;
  /** Waits until at least `count` messages have arrived and returns them; fails after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Stops listening and drops open connections (a closed server refuses new ones). */
  close(): Promise<void>;
}

/** Starts a server on `port` (default: any free port) and closes it at teardown. */
export async function startSmtpServer(t: TestContext, { port = 0 }: { port?: number } = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // Tests close the server while a pooled client may hold an idle connection: drop it at once.
    closeTimeout: 100,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const from = session.envelope.mailFrom;
            messages.push({ envelope: { from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address) }, parsed, raw });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.listen(port, '127.0.0.1');
  await once(server.server, 'listening');
  const actualPort = (server.server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  const close = () => (closed ??= new Promise<void>((resolve) => server.close(() => resolve())));
  t.teardown(close);

  return {
    port: actualPort,
    url: `smtp://127.0.0.1:${actualPort}`,
    messages,
    get connections() {
      return connections;
    },
    waitForMessages(count, timeoutMs = 30_000) {
      return eventually(
        () => `${count} message(s) at the test SMTP server (${messages.length} so far)`,
        async () => (messages.length >= count ? messages.slice() : undefined),
        timeoutMs,
      );
    },
    close,
  };
}

/** A port on 127.0.0.1 where nothing listens (a server was started there and closed): connections are refused. */
export async function closedPort(t: TestContext): Promise<number> {
  const server = await startSmtpServer(t);
  await server.close();
  return server.port;
}
