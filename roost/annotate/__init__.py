"""Annotation frames for tuning the detection model (Frigate+'s workflow, local): full
frames with labelled boxes (`frames`), their store (`store`), where they come from
(`sources`) and the COCO / YOLO files they travel in (`coco`, `yolo`, `archive`)."""
