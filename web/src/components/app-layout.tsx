import { AppShell, Container, Group, Text, TextInput } from '@mantine/core';
import { Outlet, useMatchRoute } from '@tanstack/react-router';
import { setActor, useActor } from '../actor';
import { ButtonLink } from './links';

const SECTIONS = [
  { to: '/', label: 'Portfolio', fuzzy: false },
  { to: '/releases', label: 'Releases', fuzzy: true },
  { to: '/runs', label: 'Runs', fuzzy: true },
  { to: '/audit', label: 'Audit', fuzzy: true },
] as const;

function Logo() {
  return (
    <Group gap={8} wrap="nowrap">
      <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
        <rect width="32" height="32" rx="7" fill="var(--mantine-color-blue-7)" />
        <path d="M9 6v20M23 6v20M9 11h14M9 16h14M9 21h14" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" />
      </svg>
      <Text fw={700} size="lg">
        Railyard
      </Text>
    </Group>
  );
}

/** Who promotes, confirms and cancels from this browser: sent with each change and kept in the audit trail. */
function ActorInput() {
  const actor = useActor();
  return (
    <TextInput
      aria-label="Acting as"
      title="Your name, recorded in the audit trail with each change you make here"
      placeholder="Your name"
      leftSection={
        <Text size="xs" c="dimmed" lh={1}>
          as
        </Text>
      }
      leftSectionPointerEvents="none"
      size="xs"
      w={180}
      value={actor}
      onChange={(e) => setActor(e.currentTarget.value)}
      ml="auto"
    />
  );
}

export function AppLayout() {
  const matchRoute = useMatchRoute();
  return (
    <AppShell header={{ height: 56 }} padding={0}>
      <AppShell.Header>
        <Container size="xl" h="100%">
          <Group h="100%" gap="lg" wrap="nowrap">
            <Logo />
            <Group component="nav" aria-label="Main" gap={4} wrap="nowrap">
              {SECTIONS.map((s) => {
                const active = Boolean(matchRoute({ to: s.to, fuzzy: s.fuzzy }));
                return (
                  <ButtonLink
                    key={s.to}
                    to={s.to}
                    variant={active ? 'light' : 'subtle'}
                    color={active ? 'blue' : 'gray'}
                    c={active ? undefined : 'gray.7'}
                    size="sm"
                    px="sm"
                    aria-current={active ? 'page' : undefined}
                  >
                    {s.label}
                  </ButtonLink>
                );
              })}
            </Group>
            <ActorInput />
          </Group>
        </Container>
      </AppShell.Header>
      <AppShell.Main bg="gray.0">
        <Container size="xl" py="lg">
          <Outlet />
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
