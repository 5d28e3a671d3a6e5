import { Box, Text } from '@mantine/core';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { StepLog } from '../api/types';

const STREAM_STYLE: Record<StepLog['stream'], { color: string; label: string; italic?: boolean }> = {
  stdout: { color: 'var(--mantine-color-gray-2)', label: '' },
  stderr: { color: 'var(--mantine-color-red-4)', label: 'err' },
  system: { color: 'var(--mantine-color-blue-3)', label: 'sys', italic: true },
};

interface Line {
  key: string;
  stream: StepLog['stream'];
  text: string;
  /** Set on the first line of each attempt after the first: where a retry began. */
  attempt?: number;
}

function toLines(logs: readonly StepLog[]): Line[] {
  const lines: Line[] = [];
  let attempt = logs[0]?.attempt;
  for (const log of logs) {
    const parts = log.text.split('\n');
    // A chunk ending in a newline does not start an empty line.
    if (parts.length > 1 && parts.at(-1) === '') parts.pop();
    parts.forEach((text, i) => {
      const line: Line = { key: `${log.id}:${i}`, stream: log.stream, text };
      if (i === 0 && log.attempt !== attempt) line.attempt = log.attempt;
      lines.push(line);
    });
    attempt = log.attempt;
  }
  return lines;
}

/** A step's output as a terminal would show it: stderr in red and marked `err`, the engine's own lines marked `sys`. */
export function LogPanel({ label, logs }: { label: string; logs: readonly StepLog[] }) {
  const lines = useMemo(() => toLines(logs), [logs]);
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  // Follow new output as `tail -f` does, unless the reader has scrolled up to look at something.
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the lines change
  useLayoutEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <Box
      ref={box}
      role="log"
      aria-label={label}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
      bg="dark.8"
      p="xs"
      ff="monospace"
      fz="xs"
      style={{ borderRadius: 'var(--mantine-radius-sm)', maxHeight: 280, overflow: 'auto', lineHeight: 1.5 }}
    >
      {lines.map((line) => {
        const style = STREAM_STYLE[line.stream];
        return (
          <div key={line.key}>
            {line.attempt !== undefined && (
              <Text c="dimmed" fz="xs" ff="monospace" mt={4} style={{ borderTop: '1px dashed var(--mantine-color-dark-4)' }}>
                attempt {line.attempt}
              </Text>
            )}
            <div
              data-stream={line.stream}
              style={{ display: 'flex', gap: 8, color: style.color, fontStyle: style.italic ? 'italic' : undefined }}
            >
              <span aria-hidden="true" style={{ width: '3ch', flex: 'none', opacity: 0.7, userSelect: 'none' }}>
                {style.label}
              </span>
              <span style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{line.text}</span>
            </div>
          </div>
        );
      })}
    </Box>
  );
}
