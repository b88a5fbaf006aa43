package dev.ferry.job;

/** Why a job failed, as a problem document (type, title, status, detail). */
public record JobError(String type, String title, int status, String detail) {
}
