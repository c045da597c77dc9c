#!/bin/bash
# A one-node Slurm on this machine, for tests/plan.rs::slurm_real_sweep and by hand.
#
#   tests/slurm/local-slurm.sh start [STATE_DIR]   # default /tmp/ibcert-slurm
#   tests/slurm/local-slurm.sh stop  [STATE_DIR]
#
# start: writes STATE_DIR/slurm.conf for this host (partition "debug", all its CPUs),
# starts munged (creating /etc/munge/munge.key if missing), slurmctld and slurmd, and
# waits until `sinfo` shows the node idle. The clients find the cluster through
# SLURM_CONF: also when /etc/slurm/slurm.conf does not exist it is made a link to
# STATE_DIR/slurm.conf (removed by stop), so plain `sbatch` works too.
# stop: stops the daemons started by start (their pid files; munged only when start
# started it) and removes that link.
#
# Needs root and the Debian packages slurm-wlm and munge (apt-get install -y slurm-wlm
# munge). No cgroups: proctrack/linuxproc and task/none.
set -euo pipefail

action=${1:-}
state=${2:-/tmp/ibcert-slurm}
conf=$state/slurm.conf
etc_conf=/etc/slurm/slurm.conf

die() {
    echo "local-slurm: $*" >&2
    exit 1
}

stop_pid() {
    local file=$1 pid
    if [ -f "$file" ]; then
        pid=$(cat "$file")
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        rm -f "$file"
    fi
}

case "$action" in
start)
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    for p in munged slurmctld slurmd sinfo; do
        command -v "$p" >/dev/null || die "$p not found (apt-get install -y slurm-wlm munge)"
    done
    mkdir -p "$state/spool/ctld" "$state/spool/d" "$state/log" "$state/run"
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
    plugins=$(dirname "$(find /usr/lib -name select_cons_tres.so -print -quit 2>/dev/null)")
    cat > "$conf" <<EOF
# written by tests/slurm/local-slurm.sh
ClusterName=ibcert-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
ReturnToService=2
MaxArraySize=1001
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
PluginDir=${plugins:-/usr/lib/x86_64-linux-gnu/slurm-wlm}
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    if [ ! -e "$etc_conf" ]; then
        mkdir -p /etc/slurm
        ln -s "$conf" "$etc_conf"
    fi
    export SLURM_CONF=$conf

    # munge: a key, its socket directory, the daemon
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        # as the munge user when possible (munged refuses root without --force)
        if command -v runuser >/dev/null; then
            runuser -u munge -- munged
        else
            munged --force
        fi
        for _ in $(seq 1 50); do
            munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.1
        done
        munge -n | unmunge >/dev/null || die "munged does not answer"
        touch "$state/run/munged.started"
    fi

    slurmctld -f "$conf" || die "slurmctld failed: $(tail -5 "$state/log/slurmctld.log" 2>/dev/null)"
    slurmd -f "$conf" || die "slurmd failed: $(tail -5 "$state/log/slurmd.log" 2>/dev/null)"
    for _ in $(seq 1 120); do
        if sinfo --noheader --format=%t 2>/dev/null | grep -qx idle; then
            echo "local-slurm: node $host idle ($cpus CPUs); export SLURM_CONF=$conf"
            exit 0
        fi
        sleep 0.5
    done
    sinfo || true
    tail -20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
    die "the node did not become idle within 60 s"
    ;;
stop)
    stop_pid "$state/run/slurmd.pid"
    stop_pid "$state/run/slurmctld.pid"
    if [ -f "$state/run/munged.started" ]; then
        stop_pid /run/munge/munged.pid
        rm -f "$state/run/munged.started"
    fi
    if [ -L "$etc_conf" ] && [ "$(readlink "$etc_conf")" = "$conf" ]; then
        rm -f "$etc_conf"
    fi
    echo "local-slurm: stopped"
    ;;
*)
    die "usage: $0 start|stop [STATE_DIR]"
    ;;
esac
