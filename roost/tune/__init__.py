"""Tuning the detection model on the user's verified annotation frames (Frigate+'s model
training, kept on this machine). Imports nothing heavy: `roost.tune.train_torch` runs in
the tune virtualenv (torch), everything else in the server's."""
