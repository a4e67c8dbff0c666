"""A stand-in for Colab's ``google.colab`` package, used by the Colab rehearsal (tools/rehearse.py).

Importing it is what tells the course it runs on Colab; ``drive.mount`` links the mount point to a
folder that outlives one rehearsal "runtime", as Google Drive outlives a Colab runtime.
"""
