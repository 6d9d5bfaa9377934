/**
 * Encrypted backups: export under a passphrase typed twice (a typo would lock the user out of
 * their own coins), import a file with its passphrase.
 */
import { useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { WalletErrorJson } from '../../messages/contract.ts';
import { inputError, walletErrorOf } from '../../ui/errors.ts';
import type { Platform } from '../../ui/platform.ts';

export const minPassphraseLength = 8;
/** The contract's limit on an imported backup's text. */
export const maxBackupChars = 32 * 1024 * 1024;

export interface BackupSection {
  readonly exportPassphrase: string;
  readonly exportRepeat: string;
  setExportPassphrase(text: string): void;
  setExportRepeat(text: string): void;
  exportBackup(): void;
  readonly exporting: boolean;
  /** The file name of the last export. */
  readonly exported: string | null;
  readonly exportError: WalletErrorJson | null;

  readonly importFileName: string | null;
  chooseFile(name: string, text: string): void;
  readonly importPassphrase: string;
  setImportPassphrase(text: string): void;
  importBackup(): void;
  readonly importing: boolean;
  readonly imported: { readonly coins: number; readonly chains: number } | null;
  readonly importError: WalletErrorJson | null;
}

export function useBackupSection(platform: Platform, onImported: () => void): BackupSection {
  const [exportPassphrase, setExportPassphrase] = useState('');
  const [exportRepeat, setExportRepeat] = useState('');
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);
  const [exportError, setExportError] = useState<WalletErrorJson | null>(null);
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [importPassphrase, setImportPassphrase] = useState('');
  const [importing, setImporting] = useState(false);
  const [imported, setImported] = useState<{ coins: number; chains: number } | null>(null);
  const [importError, setImportError] = useState<WalletErrorJson | null>(null);

  return {
    exportPassphrase,
    exportRepeat,
    setExportPassphrase,
    setExportRepeat,
    exporting,
    exported,
    exportError,
    exportBackup() {
      if (exportPassphrase.length < minPassphraseLength) {
        setExportError(
          inputError(`Use a passphrase of at least ${minPassphraseLength} characters.`),
        );
        return;
      }
      if (exportPassphrase !== exportRepeat) {
        setExportError(inputError('The two passphrases differ.'));
        return;
      }
      setExporting(true);
      setExportError(null);
      callBackground(platform.transport, 'backup.export', { passphrase: exportPassphrase })
        .then(
          ({ fileName, text }) => {
            platform.download(fileName, text, 'application/json');
            setExported(fileName);
            setExportPassphrase('');
            setExportRepeat('');
          },
          (failure: unknown) => setExportError(walletErrorOf(failure)),
        )
        .finally(() => setExporting(false));
    },
    importFileName: file?.name ?? null,
    chooseFile(name, text) {
      setImported(null);
      if (text.length > maxBackupChars) {
        setFile(null);
        setImportError(inputError('This file is too large to be a Farthing backup.'));
        return;
      }
      setImportError(null);
      setFile({ name, text });
    },
    importPassphrase,
    setImportPassphrase,
    importing,
    imported,
    importError,
    importBackup() {
      if (file === null) {
        setImportError(inputError('Choose a backup file first.'));
        return;
      }
      if (importPassphrase.length === 0) {
        setImportError(inputError('Enter the passphrase of this backup.'));
        return;
      }
      setImporting(true);
      setImportError(null);
      callBackground(platform.transport, 'backup.import', {
        text: file.text,
        passphrase: importPassphrase,
      })
        .then(
          (result) => {
            setImported(result);
            setImportPassphrase('');
            onImported();
          },
          (failure: unknown) => setImportError(walletErrorOf(failure)),
        )
        .finally(() => setImporting(false));
    },
  };
}
