import { Group, Paper, Stack, Table, Text, Tooltip } from '@mantine/core';
import type { NextRelease, Portfolio, PortfolioCell, PortfolioEnvironment, PortfolioRow } from '../api/types';
import { daysUntil, formatDateTime, formatDay, formatDaysUntil, formatRelative, humanize } from '../format';
import { AnchorLink } from './links';
import { DeploymentStatusBadge, ReleaseStatusBadge } from './status-badge';

/** Environments each product's track promotes through; absent while tracks are unknown. */
export type TrackEnvironments = Map<string, ReadonlySet<string>>;

export function PortfolioBoard({ portfolio, tracks }: { portfolio: Portfolio; tracks?: TrackEnvironments }) {
  const { environments, products } = portfolio;
  return (
    <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
      <Table.ScrollContainer minWidth={760}>
        <Table aria-label="Portfolio" verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead bg="gray.0">
            <Table.Tr>
              <Table.Th scope="col">Product</Table.Th>
              {environments.map((env) => (
                <EnvironmentHeader key={env.key} env={env} />
              ))}
              <Table.Th scope="col">Next release</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {products.map((row) => {
              const onTrack = row.track ? tracks?.get(row.track) : undefined;
              return (
                <Table.Tr key={row.product}>
                  <ProductHeader row={row} />
                  {environments.map((env) => (
                    <Table.Td key={env.key}>
                      <BoardCell cell={row.cells[env.key] ?? null} offTrack={onTrack ? !onTrack.has(env.key) : false} />
                    </Table.Td>
                  ))}
                  <Table.Td>
                    <NextReleaseCell product={row.product} next={row.nextRelease} />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

function EnvironmentHeader({ env }: { env: PortfolioEnvironment }) {
  return (
    <Table.Th scope="col" title={env.name}>
      <Group gap={6} wrap="nowrap">
        <Text fw={700} size="sm" ff="monospace">
          {env.key}
        </Text>
        {env.protected && (
          <Text span size="xs" c="orange.8" fw={500}>
            protected
          </Text>
        )}
      </Group>
      <Text size="xs" c="dimmed" fw={400}>
        {env.name}
      </Text>
    </Table.Th>
  );
}

function ProductHeader({ row }: { row: PortfolioRow }) {
  return (
    <Table.Th scope="row" fw={400}>
      <AnchorLink to="/releases" search={{ product: row.product }} fw={600} size="sm" c="dark.7">
        {row.name}
      </AnchorLink>
      <Text size="xs" c="dimmed">
        <Text span ff="monospace" inherit>
          {row.product}
        </Text>
        {row.track && ` · ${row.track} track`}
      </Text>
    </Table.Th>
  );
}

function BoardCell({ cell, offTrack }: { cell: PortfolioCell | null; offTrack: boolean }) {
  if (!cell) {
    return (
      <Text size="sm" c="gray.5" title={offTrack ? 'Not on this product’s track' : 'Nothing promoted here yet'}>
        {offTrack ? 'not on track' : 'not deployed'}
      </Text>
    );
  }
  const attempt = cell.lastAttempt;
  return (
    <Stack gap={4} align="flex-start">
      {cell.version ? (
        <Tooltip label={`Running since ${formatDateTime(cell.deployedAt)}`} withArrow openDelay={300}>
          <div>
            <Text fw={600} size="sm" ff="monospace">
              {cell.version}
            </Text>
            <Text size="xs" c="dimmed">
              {formatRelative(cell.deployedAt)}
            </Text>
          </div>
        </Tooltip>
      ) : (
        <Text size="sm" c="dimmed">
          none running
        </Text>
      )}
      {attempt && (
        <Tooltip
          label={`Last attempt: ${attempt.version} ${humanize(attempt.status).toLowerCase()} ${formatDateTime(attempt.at)}`}
          withArrow
        >
          <span>
            <DeploymentStatusBadge
              status={attempt.status}
            >{`${attempt.version} ${humanize(attempt.status).toLowerCase()}`}</DeploymentStatusBadge>
          </span>
        </Tooltip>
      )}
    </Stack>
  );
}

function NextReleaseCell({ product, next }: { product: string; next: NextRelease | null }) {
  if (!next) {
    return (
      <Text size="sm" c="gray.5">
        none planned
      </Text>
    );
  }
  const days = next.targetDate ? daysUntil(next.targetDate) : null;
  return (
    <Stack gap={4} align="flex-start">
      <Group gap={8} wrap="nowrap">
        <AnchorLink to="/releases/$ref" params={{ ref: `${product}@${next.version}` }} fw={600} size="sm" ff="monospace">
          {next.version}
        </AnchorLink>
        <ReleaseStatusBadge status={next.status} />
      </Group>
      <Text size="xs" c={days !== null && days < 0 ? 'red.7' : 'dimmed'}>
        {next.targetDate ? `${formatDay(next.targetDate)} · ${formatDaysUntil(days ?? 0)}` : 'no target date'}
      </Text>
    </Stack>
  );
}
