"""The Python image's sitecustomize (site imports it at start-up, after
site-packages' .pth files): the run's --packages directory goes on
sys.path only now, so that a sitecustomize.py there is never run, in a
cold start as in a pre-initialized one (_wasmbox_site.py)."""
import _wasmbox_site

_wasmbox_site.started()
