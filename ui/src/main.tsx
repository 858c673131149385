import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { setToken } from './api';
import { App } from './App';
import { takeTokenFromFragment } from './session';

const fromLink = takeTokenFromFragment();
if (fromLink !== null) setToken(fromLink);

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
