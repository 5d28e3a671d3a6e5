import { Stack, Text, Title } from '@mantine/core';
import { AnchorLink } from '../components/links';

export function NotFoundPage() {
  return (
    <Stack align="center" py="xl" gap="xs">
      <title>Not found · Railyard</title>
      <Title order={2}>Page not found</Title>
      <Text c="dimmed">There is no page at this address.</Text>
      <AnchorLink to="/">Back to the portfolio</AnchorLink>
    </Stack>
  );
}
