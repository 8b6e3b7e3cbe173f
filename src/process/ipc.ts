/**
 * Messages between the primary and its workers over the cluster's IPC channel: the primary asks workers to
 * shut down, and a worker asks the primary for what only the primary can see (the metrics of all workers).
 */
import cluster from 'node:cluster';

/** What a worker may ask the primary for. */
export type PrimaryQuestion = 'metrics';

type Message =
  | { owh: 'shutdown' }
  | { owh: 'ask'; id: number; question: PrimaryQuestion }
  | { owh: 'answer'; id: number; result?: string; error?: string };

const isMessage = (value: unknown): value is Message => typeof value === 'object' && value !== null && 'owh' in value;

export function isShutdownMessage(value: unknown): boolean {
  return isMessage(value) && value.owh === 'shutdown';
}

export const shutdownMessage: Message = { owh: 'shutdown' };

let nextId = 0;
const waiting = new Map<number, { resolve: (result: string) => void; reject: (error: Error) => void }>();

/** In a worker: asks the primary and waits for its answer (rejects after `timeoutMs`). */
export function askPrimary(question: PrimaryQuestion, timeoutMs = 6000): Promise<string> {
  if (waiting.size === 0) process.on('message', onAnswer);
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => settle(id, undefined, `the primary did not answer '${question}' within ${timeoutMs} ms`), timeoutMs);
    waiting.set(id, {
      resolve: (result) => (clearTimeout(timer), resolve(result)),
      reject: (error) => (clearTimeout(timer), reject(error)),
    });
    process.send!({ owh: 'ask', id, question } satisfies Message);
  });
}

function onAnswer(message: unknown): void {
  if (isMessage(message) && message.owh === 'answer') settle(message.id, message.result, message.error);
}

function settle(id: number, result: string | undefined, error: string | undefined): void {
  const entry = waiting.get(id);
  if (!entry) return;
  waiting.delete(id);
  if (waiting.size === 0) process.off('message', onAnswer);
  if (error !== undefined || result === undefined) entry.reject(new Error(error ?? 'no answer'));
  else entry.resolve(result);
}

/** In the primary: answers the workers' questions. */
export function answerWorkers(answers: Record<PrimaryQuestion, () => Promise<string>>): void {
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message) || message.owh !== 'ask') return;
    const reply = (answer: Message) => {
      if (worker.isConnected()) worker.send(answer);
    };
    answers[message.question]().then(
      (result) => reply({ owh: 'answer', id: message.id, result }),
      (error: unknown) => reply({ owh: 'answer', id: message.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
