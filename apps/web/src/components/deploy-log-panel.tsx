'use client';
// The live build/rollout log of one deployment: an xterm.js terminal fed by the portal's SSE route
// (`/api/deployments/{id}/logs`: backlog, then live events, until `end`), and the progress stage
// above it. xterm.js touches `window` when it loads, so it is imported inside the effect — on the
// client only, after mount. EventSource reconnects by itself (sending Last-Event-ID, so nothing is
// written twice) until the stream's `end`, after which it is closed.
import '@xterm/xterm/css/xterm.css';
import type { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import {
  DEPLOY_STAGE_ORDER,
  formatLogEvent,
  parseLogEventData,
  type DeployLogEvent,
  type DeployStage,
} from '../lib/deploy-log-events';

type StreamState = 'loading' | 'connecting' | 'streaming' | 'reconnecting' | 'ended' | 'unavailable';

const STATE_LABEL: Readonly<Record<StreamState, string>> = {
  loading: 'Loading the terminal…',
  connecting: 'Connecting to the log…',
  streaming: 'Live',
  reconnecting: 'Connection lost; reconnecting…',
  ended: 'Finished',
  unavailable: 'The log is unavailable.',
};

export function DeployLogPanel({
  deploymentId,
  onEnd,
}: {
  deploymentId: string;
  /** Called once when the stream's `end` arrives (the page refreshes the history). */
  onEnd?: (status: 'live' | 'failed') => void;
}) {
  const containerRef = useRef<HTMLDivElement>(null);
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  }, [onEnd]);
  const [state, setState] = useState<StreamState>('loading');
  const [stage, setStage] = useState<{ stage: DeployStage; pct?: number | undefined } | null>(null);
  const [result, setResult] = useState<'live' | 'failed' | null>(null);
  const [lineCount, setLineCount] = useState(0);

  useEffect(() => {
    let disposed = false;
    let terminal: Terminal | undefined;
    let source: EventSource | undefined;
    setState('loading');
    setStage(null);
    setResult(null);
    setLineCount(0);

    const handle = (event: DeployLogEvent) => {
      terminal?.writeln(formatLogEvent(event));
      setLineCount((n) => n + 1);
      if (event.type === 'progress') setStage({ stage: event.stage, pct: event.pct });
      if (event.type === 'end') {
        source?.close();
        setResult(event.status);
        setState('ended');
        if (event.status === 'live') setStage({ stage: 'done' });
        onEndRef.current?.(event.status);
      }
    };

    void import('@xterm/xterm').then(({ Terminal: XTerm }) => {
      const element = containerRef.current;
      if (disposed || element === null) return;
      terminal = new XTerm({
        convertEol: true,
        disableStdin: true,
        cursorBlink: false,
        cols: 110,
        rows: 18,
        scrollback: 5000,
        fontSize: 13,
        fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, monospace",
        theme: { background: '#0f172a', foreground: '#e2e8f0' },
      });
      terminal.open(element);
      setState('connecting');
      source = new EventSource(`/api/deployments/${encodeURIComponent(deploymentId)}/logs`);
      source.onopen = () => setState('streaming');
      source.onmessage = (message: MessageEvent<string>) => {
        const event = parseLogEventData(message.data);
        if (event !== undefined) handle(event);
      };
      source.onerror = () => {
        if (source?.readyState === EventSource.CLOSED) setState((s) => (s === 'ended' ? s : 'unavailable'));
        else setState((s) => (s === 'ended' ? s : 'reconnecting'));
      };
    });

    return () => {
      disposed = true;
      source?.close();
      terminal?.dispose();
    };
  }, [deploymentId]);

  const stageIndex = stage === null ? -1 : DEPLOY_STAGE_ORDER.indexOf(stage.stage);
  return (
    <div className="log-panel" data-testid="deploy-log-panel" data-deployment={deploymentId}>
      <div className="log-head">
        <span className={`badge state-${state}`} data-testid="deploy-log-state" role="status">
          {state === 'loading' || state === 'connecting' ? <span className="spinner" aria-hidden="true" /> : null}{' '}
          {STATE_LABEL[state]}
        </span>
        {result !== null ? (
          <span className={`badge status-${result}`} data-testid="deploy-log-result">
            {result}
          </span>
        ) : null}
        <span className="muted">{lineCount} events</span>
      </div>
      <ol className="stages" data-testid="deploy-stage" data-stage={stage?.stage ?? ''}>
        {DEPLOY_STAGE_ORDER.map((name, i) => (
          <li
            key={name}
            className={
              i < stageIndex || (i === stageIndex && name === 'done') ? 'done' : i === stageIndex ? 'current' : ''
            }
          >
            {name}
            {i === stageIndex && stage?.pct !== undefined && name !== 'done' ? ` ${Math.round(stage.pct)}%` : ''}
          </li>
        ))}
      </ol>
      {state === 'unavailable' ? (
        <p className="form-error" role="alert" data-testid="deploy-log-error">
          The log stream closed. Reload the page to try again.
        </p>
      ) : null}
      <div className="terminal" ref={containerRef} data-testid="deploy-terminal" />
    </div>
  );
}
