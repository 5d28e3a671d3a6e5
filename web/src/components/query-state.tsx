import { Alert, Button, Center, Group, List, Loader, Stack, Text } from '@mantine/core';
import { ApiError, isClientError } from '../api/client';

export function LoadingState({ label }: { label: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Stack align="center" gap="xs">
        <Loader size="sm" />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

/** What went wrong, in the server's words (and its reasons, when it gives them), with the errorId to quote. */
export function ErrorState({
  error,
  title = 'Could not load this page',
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const message = error instanceof Error ? error.message : String(error);
  const errorId = error instanceof ApiError ? error.errorId : null;
  // A validation error already lists its fields in the message; a blocked promotion gives its reasons only here.
  const details = error instanceof ApiError ? error.details.filter((d) => !message.includes(d.message)) : [];
  const retryable = !isClientError(error);
  return (
    <Alert color="red" variant="light" title={title} role="alert" mb="md">
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
        {details.length > 0 && (
          <List size="sm" spacing={2} aria-label="Reasons">
            {details.map((d, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: reasons are a fixed list that never reorders
              <List.Item key={i}>{d.path ? `${d.path}: ${d.message}` : d.message}</List.Item>
            ))}
          </List>
        )}
        <Group gap="md">
          {errorId && (
            <Text size="xs" c="dimmed">
              Error ID: <code>{errorId}</code>
            </Text>
          )}
          {onRetry && retryable && (
            <Button size="compact-sm" variant="white" color="red" onClick={onRetry}>
              Try again
            </Button>
          )}
        </Group>
      </Stack>
    </Alert>
  );
}
