import { Alert, Button, Center, Group, Loader, Stack, Text } from '@mantine/core';
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

/** What went wrong, in the server's words, with the errorId to quote when reporting it. */
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
  const retryable = !isClientError(error);
  return (
    <Alert color="red" variant="light" title={title} role="alert" mb="md">
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
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
