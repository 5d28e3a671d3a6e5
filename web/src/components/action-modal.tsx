import { Button, Group, type MantineColor, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent, ReactNode } from 'react';
import { runQueryKey } from '../api/queries';
import type { RunDetail } from '../api/types';
import { ErrorState } from './query-state';

/**
 * A change to a run (cancel, retry, confirm a step, …): the API answers with the run as it now is, which
 * replaces the cached one at once; the list of runs is refreshed in the background.
 */
export function useRunChange<V>(runId: string, change: (vars: V) => Promise<RunDetail>, onDone?: () => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSuccess: (run) => {
      queryClient.setQueryData(runQueryKey(runId), run);
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      onDone?.();
    },
  });
}

interface ActionModalProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  submitLabel: string;
  color?: MantineColor;
  /** False while a required field is empty. */
  canSubmit?: boolean;
  pending: boolean;
  error: unknown;
  /** Heading of the error shown; "Could not <submit label>" by default. */
  errorTitle?: string;
  onSubmit: () => void;
  children?: ReactNode;
}

/** A small form in a dialog; the API's refusal is shown inside it, next to the inputs that may fix it. */
export function ActionModal({
  opened,
  onClose,
  title,
  description,
  submitLabel,
  color,
  canSubmit = true,
  pending,
  error,
  errorTitle,
  onSubmit,
  children,
}: ActionModalProps) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canSubmit && !pending) onSubmit();
  };
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <form onSubmit={submit}>
        <Stack gap="sm">
          {description && (
            <Text size="sm" c="dimmed">
              {description}
            </Text>
          )}
          {children}
          {error ? <ErrorState error={error} title={errorTitle ?? `Could not ${submitLabel.toLowerCase()}`} /> : null}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              Back
            </Button>
            <Button type="submit" color={color} loading={pending} disabled={!canSubmit}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
