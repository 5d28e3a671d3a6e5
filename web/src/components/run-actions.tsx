import { Button, Group, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { cancelRun, confirmStep, rejectStep, resumeRun, retryRun } from '../api/queries';
import type { RunDetail, StepRun } from '../api/types';
import { canCancel, canReopen } from '../runs';
import { ActionModal, useRunChange } from './action-modal';

type Open = 'cancel' | 'retry' | 'resume' | null;

/** Cancel, Retry and Resume: each offered only while the run's status allows it. */
export function RunActions({ run }: { run: RunDetail }) {
  const [open, setOpen] = useState<Open>(null);
  const [reason, setReason] = useState('');
  const close = () => setOpen(null);
  const cancel = useRunChange(run.id, (why: string) => cancelRun(run.id, why.trim()), close);
  const retry = useRunChange(run.id, () => retryRun(run.id), close);
  const resume = useRunChange(run.id, (why: string) => resumeRun(run.id, why.trim()), close);
  const show = (which: Open) => {
    setReason('');
    for (const m of [cancel, retry, resume]) m.reset();
    setOpen(which);
  };
  const failed = run.steps.filter((s) => s.phase === 'deploy' && (s.status === 'failed' || s.status === 'needs_attention'));
  const failedKeys = failed.map((s) => s.key).join(', ') || 'none';

  return (
    <Group gap="xs">
      {canReopen(run) && (
        <>
          <Button onClick={() => show('retry')}>Retry</Button>
          <Button variant="default" onClick={() => show('resume')}>
            Resume
          </Button>
        </>
      )}
      {canCancel(run) && (
        <Button color="red" variant="light" onClick={() => show('cancel')}>
          Cancel run
        </Button>
      )}
      <ActionModal
        opened={open === 'cancel'}
        onClose={close}
        title="Cancel this run?"
        description="Its open steps are cancelled; a command still running is stopped. The run cannot be resumed afterwards."
        submitLabel="Cancel run"
        color="red"
        pending={cancel.isPending}
        error={cancel.error}
        onSubmit={() => cancel.mutate(reason)}
      >
        <TextInput
          label="Reason"
          description="Optional; recorded in the audit trail"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          data-autofocus
        />
      </ActionModal>
      <ActionModal
        opened={open === 'retry'}
        onClose={close}
        title="Retry this run?"
        description={`Runs again what failed or has an unknown outcome (${failedKeys}); steps that succeeded are not repeated.`}
        submitLabel="Retry"
        pending={retry.isPending}
        error={retry.error}
        onSubmit={() => retry.mutate(undefined)}
      />
      <ActionModal
        opened={open === 'resume'}
        onClose={close}
        title="Resume past what failed?"
        description={`Carries on as if the failed or unknown steps (${failedKeys}) had been skipped. Say why: it is recorded.`}
        submitLabel="Resume"
        canSubmit={reason.trim().length > 0}
        pending={resume.isPending}
        error={resume.error}
        onSubmit={() => resume.mutate(reason)}
      >
        <Textarea
          label="Reason"
          required
          autosize
          minRows={2}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          data-autofocus
        />
      </ActionModal>
    </Group>
  );
}

/** Confirm and Reject for a step that waits for a person (a manual item, an approval, an unknown outcome). */
export function StepActions({ runId, step }: { runId: string; step: StepRun }) {
  const [open, setOpen] = useState<'confirm' | 'reject' | null>(null);
  const [note, setNote] = useState('');
  const [role, setRole] = useState(step.role ?? '');
  const [reason, setReason] = useState('');
  const close = () => setOpen(null);
  const confirm = useRunChange(
    runId,
    () => confirmStep(runId, step.key, { ...(note.trim() ? { note: note.trim() } : {}), ...(role.trim() ? { role: role.trim() } : {}) }),
    close,
  );
  const reject = useRunChange(runId, () => rejectStep(runId, step.key, reason.trim()), close);
  const unknownOutcome = step.status === 'needs_attention';
  const show = (which: 'confirm' | 'reject') => {
    confirm.reset();
    reject.reset();
    setOpen(which);
  };

  return (
    <Group gap="xs">
      <Button size="xs" color="green" onClick={() => show('confirm')}>
        Confirm
      </Button>
      <Button size="xs" color="red" variant="light" onClick={() => show('reject')}>
        Reject
      </Button>
      <ActionModal
        opened={open === 'confirm'}
        onClose={close}
        title={`Confirm step ${step.key}`}
        description={
          unknownOutcome
            ? 'Say that this attempt did take effect: the step counts as succeeded and the run carries on.'
            : (step.instructions ?? 'Confirm that this step is done.')
        }
        submitLabel="Confirm"
        color="green"
        pending={confirm.isPending}
        error={confirm.error}
        onSubmit={() => confirm.mutate(undefined)}
      >
        <TextInput
          label="Note"
          description="Optional; recorded with your confirmation"
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          data-autofocus
        />
        {!unknownOutcome && (
          <TextInput
            label="Role"
            description="The role you confirm in, when the step is assigned to one"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value)}
          />
        )}
      </ActionModal>
      <ActionModal
        opened={open === 'reject'}
        onClose={close}
        title={`Reject step ${step.key}`}
        description={
          unknownOutcome
            ? 'Say that this attempt did not take effect: the step fails, and the plan decides what follows (stop or roll back).'
            : 'The step fails, and the plan decides what follows (stop or roll back).'
        }
        submitLabel="Reject"
        color="red"
        canSubmit={reason.trim().length > 0}
        pending={reject.isPending}
        error={reject.error}
        onSubmit={() => reject.mutate(undefined)}
      >
        <Textarea
          label="Reason"
          required
          autosize
          minRows={2}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          data-autofocus
        />
      </ActionModal>
    </Group>
  );
}
