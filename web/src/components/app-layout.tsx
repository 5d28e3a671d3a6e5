import { AppShell, Container, Group, Text } from '@mantine/core';
import { Outlet, useMatchRoute } from '@tanstack/react-router';
import { ButtonLink } from './links';

const SECTIONS = [
  { to: '/', label: 'Portfolio', fuzzy: false },
  { to: '/releases', label: 'Releases', fuzzy: true },
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
