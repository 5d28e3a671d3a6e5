import { Button, Select, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { environmentsQuery, productsQuery, promote, recentReleasesQuery, tracksQuery } from '../api/queries';
import { ActionModal } from './action-modal';

/**
 * Promote a release into an environment: the API checks the gate and the calendar and either queues a run
 * (the dashboard then opens it) or refuses with its reasons, shown in the dialog.
 */
export function PromoteButton({ release: fixedRelease }: { release?: string }) {
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button onClick={() => setOpened(true)}>Promote</Button>
      {opened && <PromoteModal release={fixedRelease} onClose={() => setOpened(false)} />}
    </>
  );
}

function PromoteModal({ release: fixedRelease, onClose }: { release?: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [release, setRelease] = useState<string | null>(fixedRelease ?? null);
  const [environment, setEnvironment] = useState<string | null>(null);
  const [at, setAt] = useState('');
  const environments = useQuery(environmentsQuery);
  const products = useQuery(productsQuery);
  const tracks = useQuery(tracksQuery);
  const releases = useQuery({ ...recentReleasesQuery, enabled: !fixedRelease });

  // Only the environments on the product's track, in its order, when the product has one.
  const environmentOptions = useMemo(() => {
    const all = [...(environments.data?.items ?? [])].sort((a, b) => a.position - b.position);
    const product = release ? products.data?.items.find((p) => p.key === release.split('@')[0]) : undefined;
    const track = product?.track ? tracks.data?.items.find((t) => t.key === product.track) : undefined;
    const listed = track ? track.environments.flatMap((key) => all.filter((e) => e.key === key)) : all;
    return listed.map((e) => ({ value: e.key, label: e.name === e.key ? e.key : `${e.key} · ${e.name}` }));
  }, [environments.data, products.data, tracks.data, release]);

  const mutation = useMutation({
    mutationFn: promote,
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      onClose();
      void navigate({ to: '/runs/$id', params: { id: run.id } });
    },
  });
  const startAt = at ? new Date(at) : null;
  const atInvalid = startAt !== null && Number.isNaN(startAt.getTime());
  const blocked = mutation.error instanceof ApiError && mutation.error.code === 'blocked';

  return (
    <ActionModal
      opened
      onClose={onClose}
      title={fixedRelease ? `Promote ${fixedRelease}` : 'Promote a release'}
      description="Checks the environment's gate and the calendar, then starts a run of the environment's plan (it queues behind one already active)."
      submitLabel="Promote"
      canSubmit={Boolean(release && environment) && !atInvalid}
      pending={mutation.isPending}
      error={mutation.error}
      errorTitle={blocked ? 'Blocked' : undefined}
      onSubmit={() =>
        release && environment && mutation.mutate({ release, environment, ...(startAt ? { at: startAt.toISOString() } : {}) })
      }
    >
      {!fixedRelease && (
        <Select
          label="Release"
          placeholder={releases.isError ? 'Releases unavailable' : 'Search product@version'}
          data={(releases.data?.items ?? []).filter((r) => r.status !== 'cancelled').map((r) => r.ref)}
          value={release}
          onChange={setRelease}
          searchable
          required
          nothingFoundMessage="No such release"
          data-autofocus
        />
      )}
      <Select
        label="Environment"
        placeholder={environments.isError ? 'Environments unavailable' : 'Choose an environment'}
        data={environmentOptions}
        value={environment}
        onChange={setEnvironment}
        required
      />
      <TextInput
        label="Start at"
        description="Optional: schedule it for later (your local time); it waits for the window if closed then"
        type="datetime-local"
        value={at}
        onChange={(e) => setAt(e.currentTarget.value)}
        error={atInvalid ? 'Not a date and time' : undefined}
      />
    </ActionModal>
  );
}
