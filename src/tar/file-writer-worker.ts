// A writer thread of FileWriterPool: makes the files of each batch it is sent, in order, and
// answers with one outcome per file. Errors are outcomes too, so the extractor names the entry.
import { parentPort } from 'node:worker_threads';
import { writeFileJob, type FileOutcome, type WriterBatch, type WriterReply } from './file-job.ts';

parentPort?.on('message', (batch: WriterBatch) => {
  const outcomes: FileOutcome[] = batch.jobs.map((job) => {
    try {
      return writeFileJob(job);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { kind: 'failed', message: e.message, code: e.code, syscall: e.syscall, path: e.path };
    }
  });
  const reply: WriterReply = { id: batch.id, outcomes };
  parentPort?.postMessage(reply);
});
