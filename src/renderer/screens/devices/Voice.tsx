import { useState } from 'react';
import { announcementLanguages, languageNames, type AnnouncementLanguage } from '../../../shared/announcement';
import { errorMessage } from '../../common/api';
import { ErrorMessage } from '../../common/components';
import { useApi, useLoad } from '../../common/hooks';

export function Voice() {
  const api = useApi();
  const settings = useLoad(() => api.call('announcements.settings', {}));
  const [error, setError] = useState<string | null>(null);
  const data = settings.data;

  async function save(languages: AnnouncementLanguage[], speechFallback: boolean) {
    setError(null);
    try {
      await api.call('announcements.setSettings', { languages, speechFallback });
      settings.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  if (!data) return <section className="card devices-card">{settings.error ? <ErrorMessage>{settings.error}</ErrorMessage> : 'Loading…'}</section>;
  const editable = data.canEditLanguages;
  const unused = editable ? announcementLanguages.filter((l) => !data.languages.includes(l)) : [];
  const move = (index: number, by: number) => {
    const next = [...data.languages];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    void save(next, data.speechFallback);
  };

  return (
    <section className="card devices-card" data-testid="voice-settings">
      <h2>Voice calls</h2>
      <p className="muted">A chime, then the number and room in each language below, in this order. The languages are set for the whole clinic.</p>
      {!editable && (
        <p className="muted" data-testid="voice-languages-readonly">
          Only the clinic manager (admin) can change the languages or their order: sign in as the clinic manager to change them.
        </p>
      )}
      <ol className="language-list">
        {data.languages.map((language, index) => (
          <li key={language} data-testid="voice-language" data-language={language}>
            <span>{languageNames[language]}</span>
            <button type="button" className="btn btn-small" disabled={!editable || index === 0} onClick={() => move(index, -1)} aria-label={`Move ${languageNames[language]} up`}>
              ↑
            </button>
            <button type="button" className="btn btn-small" disabled={!editable || index === data.languages.length - 1} onClick={() => move(index, 1)} aria-label={`Move ${languageNames[language]} down`}>
              ↓
            </button>
            <button type="button" className="btn btn-small" disabled={!editable || data.languages.length === 1} onClick={() => save(data.languages.filter((l) => l !== language), data.speechFallback)}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      {unused.map((language) => (
        <button key={language} type="button" className="btn btn-small" onClick={() => save([...data.languages, language], data.speechFallback)}>
          Add {languageNames[language]}
        </button>
      ))}
      <label className="check">
        <input type="checkbox" checked={data.speechFallback} onChange={(e) => save(data.languages, e.target.checked)} /> Use this computer’s speech when a clip cannot play
      </label>
      <p className="muted">
        {data.overrides.length ? `${data.overrides.length} clip(s) recorded by the clinic are in use.` : 'Built-in clips in use.'} Recordings go in the station’s
        voice folder (see the README).
      </p>
      {data.problems.map((problem) => (
        <ErrorMessage key={problem}>{problem}</ErrorMessage>
      ))}
      {error && <ErrorMessage>{error}</ErrorMessage>}
    </section>
  );
}
