import { useSyncExternalStore } from 'react';

// Until accounts exist, the API takes the acting person's name from the `Railyard-Actor` header and records it in
// the audit trail. The dashboard asks once and keeps the name in this browser.

const KEY = 'railyard.actor';
const listeners = new Set<() => void>();

export function currentActor(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return ''; // storage disabled: the server records the request as made by `api`
  }
}

export function setActor(name: string): void {
  try {
    // Kept as typed (a trailing space may be the middle of a name); trimmed when sent.
    if (name.trim()) localStorage.setItem(KEY, name);
    else localStorage.removeItem(KEY);
  } catch {
    // storage disabled: nothing to keep
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => e.key === KEY && listener();
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function useActor(): string {
  return useSyncExternalStore(subscribe, currentActor);
}
