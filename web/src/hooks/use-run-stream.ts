import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { runQueryKey } from '../api/queries';
import type { RunDetail, StepLog } from '../api/types';

/**
 * `live` while events flow, `reconnecting` while the browser retries a dropped stream, `ended` once the run
 * finished, `lost` when the browser gave up (the server refused the stream).
 */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'lost';

export interface RunStream {
  state: StreamState;
  /** Every chunk of output received, oldest first, each once. */
  logs: StepLog[];
  /** Opens the stream again: after it ended, when a retry brought the run back to life, or after it was lost. */
  reopen(): void;
}

// Output can arrive a thousand chunks at a time: render it at most this often rather than once per chunk.
const FLUSH_MS = 100;

/**
 * Follows a run over server-sent events: each `run` event replaces the run's cached detail (so every view of it
 * updates), each `log` event adds output. The stream replays all output first, so a page opened late, or
 * reopened, shows it from the start; chunks already held are not added twice.
 */
export function useRunStream(id: string, enabled: boolean): RunStream {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');
  const [logs, setLogs] = useState<StepLog[]>([]);
  const [session, setSession] = useState(0);
  const seen = useRef(new Set<string>());

  // A different run starts from nothing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when the run id changes
  useEffect(() => {
    seen.current = new Set();
    setLogs([]);
  }, [id]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `session` is how reopen() asks for a new connection
  useEffect(() => {
    if (!enabled) return;
    setState('connecting');
    const source = new EventSource(`/api/v1/runs/${encodeURIComponent(id)}/events`);
    let pending: StepLog[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      if (batch.length) setLogs((prev) => [...prev, ...batch]);
    };
    source.addEventListener('open', () => setState('live'));
    source.addEventListener('run', (e) => {
      setState('live');
      queryClient.setQueryData<RunDetail>(runQueryKey(id), JSON.parse(e.data) as RunDetail);
    });
    source.addEventListener('log', (e) => {
      const log = JSON.parse(e.data) as StepLog;
      if (seen.current.has(log.id)) return;
      seen.current.add(log.id);
      pending.push(log);
      timer ??= setTimeout(flush, FLUSH_MS);
    });
    source.addEventListener('end', () => {
      // Without this the browser would reconnect to a stream that has nothing more to say.
      source.close();
      clearTimeout(timer);
      flush();
      setState('ended');
    });
    source.addEventListener('error', () => {
      setState(source.readyState === EventSource.CLOSED ? 'lost' : 'reconnecting');
    });
    return () => {
      source.close();
      clearTimeout(timer);
      flush();
    };
  }, [id, enabled, session, queryClient]);

  const reopen = useCallback(() => setSession((n) => n + 1), []);
  return { state, logs, reopen };
}
