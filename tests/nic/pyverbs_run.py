#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pyverbs_run.py - rdma-core's own pyverbs tests against one device, as TAP.

    pyverbs_run.py --dev DEV --gid GIDX [--port N] [--list] [MODULE...]

Debian's python3-pyverbs ships rdma-core's test suite, partly gzipped, under
/usr/share/doc/rdma-core/tests.  This copies it to a temporary directory,
unpacks it, and runs every case of the generic modules (the vendor ones,
mlx5/efa/cuda, need their hardware) with the device given, printing one TAP
line per case and "N passed, N failed, N skipped" last.

A case passes, or is skipped for a reason listed in EXPECTED_SKIPS below
(features odph does not have: README "pyverbs: what skips and why"), or
fails in a way listed in KNOWN_FAILS (shared with stock rxe, shown as a
skip with its reason).  Any other failure, error or skip fails the run.
"""
import argparse
import fnmatch
import gzip
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

SRC = '/usr/share/doc/rdma-core/tests'
VENDOR = ('test_mlx5', 'test_efa', 'test_cuda')
CASE_TIMEOUT = int(os.environ.get('PYVERBS_CASE_TIMEOUT', '300'))

# Test id patterns (fnmatch, without the leading "tests.") -> why they skip.
# README "pyverbs: what skips and why" explains each group.
EXPECTED_SKIPS = {
    # XRC domains and XRC SRQs: not implemented (stock rxe 6.1: neither).
    '*xrc*': 'XRC: not implemented by odph (nor by stock rxe 6.1)',
    # Re-registration: no rereg_user_mr in odph (nor in stock rxe 6.1).
    'test_mr.MRTest.test_mr_rereg_*':
        'rereg_mr: not implemented by odph (nor by stock rxe 6.1)',
    # Needs 2 MiB huge pages; the runner reserves some, this covers a
    # machine where that fails.
    'test_odp.OdpTestCase.test_odp_rc_huge_*':
        'no 2 MiB huge pages could be reserved',
    # Features of hardware NICs or of other providers' userspace.
    'test_device.DMTest.*': 'device memory: a hardware NIC feature',
    'test_device.SharedDMTest.*': 'device memory: a hardware NIC feature',
    'test_mr.DeviceMemory*': 'device memory: a hardware NIC feature',
    'test_mr.DmaBuf*': 'dma-buf MRs need a GPU that exports dma-bufs',
    'test_parent_domain.*': 'parent domains: librxe has none',
    'test_shared_pd.*': 'ibv_import_device: librxe has none',
    'test_flow.*': 'flow steering / raw packet QPs: hardware NIC features',
    'test_rss_traffic.*': 'RSS / raw packet QPs: hardware NIC features',
    'test_qp.QPTest.test_*raw_qp*': 'raw packet QPs: a hardware NIC feature',
    'test_tag_matching.*': 'tag matching: a hardware SRQ feature',
    # pyverbs' rdma_cm cases want /sys/class/infiniband/DEV/device/net,
    # i.e. a parent (PCI) device: a soft device (odph, rxe) has none.
    'test_rdmacm.*': 'rdma_cm cases need a parent (PCI) device',
}

# Cases that fail, not skip, on odph and identically on stock rxe 6.1,
# for a reason outside odph: reported as skips with that reason.
KNOWN_FAILS = {
    'test_qpex.QpExTestCase.test_qp_ex_rc_atomic_write':
        'known failure, also on stock rxe 6.1: RDMA Atomic Write is a '
        'Linux 6.2 verb (not in the 6.1 uverbs ABI) that librxe 44 posts '
        'anyway; pyverbs has no capability bit to skip it on',
}


def unpack(dst):
    """Copy the shipped tests to @dst/tests and gunzip what is gzipped."""
    tdir = os.path.join(dst, 'tests')
    shutil.copytree(SRC, tdir)
    for name in os.listdir(tdir):
        if name.endswith('.gz'):
            path = os.path.join(tdir, name)
            with gzip.open(path, 'rb') as f, open(path[:-3], 'wb') as o:
                shutil.copyfileobj(f, o)
            os.unlink(path)
    return tdir


def lookup(table, name):
    for pat, why in table.items():
        if fnmatch.fnmatchcase(name, pat):
            return why
    return None


class CaseTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise CaseTimeout('case ran over %d s' % CASE_TIMEOUT)


class Tap(unittest.TestResult):
    """One TAP line per case as it ends; counts for the summary."""

    def __init__(self):
        super().__init__()
        self.n = self.npass = self.nfail = self.nskip = 0
        self.t0 = 0.0

    @staticmethod
    def name(test):
        tid = test.id()
        return tid[len('tests.'):] if tid.startswith('tests.') else tid

    def startTest(self, test):
        super().startTest(test)
        self.t0 = time.monotonic()
        signal.alarm(CASE_TIMEOUT)

    def stopTest(self, test):
        signal.alarm(0)
        super().stopTest(test)

    def line(self, ok, test, extra=''):
        self.n += 1
        secs = time.monotonic() - self.t0
        print('%s %d - %s%s' % ('ok' if ok else 'not ok', self.n,
                                self.name(test), extra))
        if secs > 30:
            print('# %.0f s' % secs)
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.npass += 1
        self.line(True, test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        why = lookup(EXPECTED_SKIPS, self.name(test))
        if why:
            self.nskip += 1
            self.line(True, test, ' # SKIP %s (pyverbs: %s)' % (why, reason))
        else:
            self.nfail += 1
            self.line(False, test, ' (unexpected skip: %s)' % reason)

    def fail_line(self, test, err, kind):
        known = lookup(KNOWN_FAILS, self.name(test))
        if known:
            self.nskip += 1
            self.line(True, test, ' # SKIP %s' % known)
            print('# (%s) %s' % (kind, str(err[1]).splitlines()[-1]))
            return
        self.nfail += 1
        self.line(False, test, ' (%s)' % kind)
        for ln in self._exc_info_to_string(err, test).splitlines()[-25:]:
            print('# ' + ln)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.fail_line(test, err, 'failure')

    def addError(self, test, err):
        super().addError(test, err)
        self.fail_line(test, err, 'error')

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.fail_line(subtest, err, 'subtest failure')

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.npass += 1
        self.line(True, test, ' # expected failure')

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.nfail += 1
        self.line(False, test, ' (unexpected success)')


def load(tdir, args):
    """Import the tests package with rdma-core's own argument parser set."""
    sys.path.insert(0, tdir)
    sys.path.insert(0, os.path.dirname(tdir))
    from args_parser import parser
    sys.argv = [sys.argv[0], '--dev', args.dev, '--port', str(args.port),
                '--gid', str(args.gid)]
    parser.parse_args()
    import tests  # noqa: F401 - imports every test_*.py module
    mods = sorted(m[:-3] for m in os.listdir(tdir)
                  if m.startswith('test_') and m.endswith('.py') and
                  not m.startswith(VENDOR))
    if args.modules:
        mods = [m for m in mods if m in args.modules]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for m in mods:
        suite.addTests(loader.loadTestsFromModule(sys.modules['tests.' + m]))
    return suite


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dev', required=True)
    ap.add_argument('--gid', type=int, required=True)
    ap.add_argument('--port', type=int, default=1)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('modules', nargs='*')
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix='pyverbs.')
    try:
        suite = load(unpack(tmp), args)
        if args.list:
            for t in flatten(suite):
                print(Tap.name(t))
            return 0
        signal.signal(signal.SIGALRM, on_alarm)
        res = Tap()
        suite.run(res)
        print('1..%d' % res.n)
        if res.nskip:
            print('%d passed, %d failed, %d skipped' %
                  (res.npass, res.nfail, res.nskip))
        else:
            print('%d passed, %d failed' % (res.npass, res.nfail))
        return 1 if res.nfail else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
