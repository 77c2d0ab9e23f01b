import subprocess, sys, threading, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stack import free_port
from bench.workspace_bench import seeded_studio
from bench.panel_poll_bench import start_web, worker_pid, hammer, cpu_seconds

extra = sys.argv[1:]
with seeded_studio("poll-prof-", CONN_MAX_AGE="60") as (env, var_dir, cookies, path, db):
    from crm.projects.models import Project
    from pictime.services.live import project_version, ticket
    project = Project.objects.get(pk=int(path.strip("/").split("/")[-1]))
    poll = f"?v={project_version(project.company, project.pk)}&t={ticket(project)}"
    port = free_port()
    server = start_web(env, port, Path(var_dir, "gunicorn.log"))
    live = f"http://127.0.0.1:{port}/integrations/pictime/projects/{project.pk}/galleries/live/"
    hammer(live + poll, cookies, 80, 4, 204)
    worker = worker_pid(server.pid)
    spy = subprocess.Popen(["/tmp/pyspy/bin/py-spy", "record", "-p", str(worker), "-d", "12", "-r", "500", "-f", "raw", "-o", "/tmp/prof/poll.txt", "--nonblocking", "--gil"], env={"PYTHONPATH": "/tmp/pyspy"})
    time.sleep(1)
    cpu = cpu_seconds(worker)
    r = hammer(live + poll, cookies, 6000, 4, 204)
    print("cpu/poll ms", (cpu_seconds(worker) - cpu) / 6000 * 1000, r)
    spy.wait()
    server.terminate(); server.wait()
