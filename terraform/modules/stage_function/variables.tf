variable "create" {
  description = "Create the function, its role, log group, queues, mappings and alarms; false creates nothing: every output is null (event_source_mappings is empty)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Function name (also the role and log group name)."
  type        = string

  validation {
    # Lambda FunctionName (a name, not an ARN): 1..64 of [a-zA-Z0-9-_]; the role's limit is 64 too.
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1..64 of A-Z a-z 0-9 _ - (a Lambda function name; also its role's name)."
  }
}

variable "image_uri" {
  description = "The stage image, pinned by digest: <repository>@sha256:<digest> (from images.lock.json)."
  type        = string

  validation {
    condition     = can(regex("@sha256:[0-9a-f]{64}$", var.image_uri))
    error_message = "image_uri must be pinned by digest (<repository>@sha256:<64 hex>); tags can move."
  }
}

variable "command" {
  description = "Handler override; null keeps the image's CMD."
  type        = string
  default     = null
}

variable "architecture" {
  description = "x86_64 or arm64: must match the image."
  type        = string
  default     = "x86_64"
}

variable "memory_mb" {
  description = "Memory (and so CPU) of the function."
  type        = number
  default     = 512
}

variable "timeout_seconds" {
  description = "Function timeout; stages stop before it and report what they did not finish."
  type        = number
  default     = 60
}

variable "reserved_concurrency" {
  description = "Reserved concurrency: caps the stage's share of the account (and its load on sinks). -1: unreserved."
  type        = number
  default     = 20
}

variable "environment" {
  description = "Environment variables (configuration only: never a secret)."
  type        = map(string)
  default     = {}
}

variable "environment_kms_key_arn" {
  description = "Customer-managed key for the environment variables (null: the Lambda-managed key)."
  type        = string
  default     = null
}

variable "policy_statements" {
  description = "What the stage may do beyond logging and reading its trigger: least privilege, named resources."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  default = []
}

variable "trigger" {
  description = "The event source. Kinesis mappings always report batch item failures and bisect on error."
  type = object({
    type                       = string # kinesis, sqs or none
    source_arn                 = optional(string)
    batch_size                 = optional(number, 100)
    batching_window_seconds    = optional(number, 1)
    starting_position          = optional(string, "TRIM_HORIZON")
    parallelization_factor     = optional(number, 1)
    maximum_retry_attempts     = optional(number, 10)
    maximum_record_age_seconds = optional(number, 86400)
    tumbling_window_seconds    = optional(number)
    maximum_concurrency        = optional(number, 10)
  })

  validation {
    condition     = contains(["kinesis", "sqs", "none"], var.trigger.type)
    error_message = "trigger.type must be kinesis, sqs or none."
  }

  validation {
    condition     = var.trigger.maximum_retry_attempts >= 0 && var.trigger.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be finite (0..10000)."
  }

  validation {
    condition     = var.trigger.maximum_record_age_seconds >= 60 && var.trigger.maximum_record_age_seconds <= 604800
    error_message = "maximum_record_age_seconds must be finite (60..604800)."
  }

  validation {
    condition     = var.trigger.tumbling_window_seconds == null || (coalesce(var.trigger.tumbling_window_seconds, 0) >= 1 && coalesce(var.trigger.tumbling_window_seconds, 0) <= 900)
    error_message = "tumbling_window_seconds must be 1..900."
  }
}

variable "additional_kinesis_sources" {
  description = "More Kinesis streams the function reads besides its trigger (a kinesis trigger only): name (lower_snake, known at plan time; the role's statement is Read<Name>) -> the stream's ARN and where a new mapping starts. Each mapping takes the trigger's batching, failure reporting, bisect, retries, record age and on-failure queue."
  type = map(object({
    source_arn        = string
    starting_position = optional(string, "TRIM_HORIZON")
  }))
  default = {}

  validation {
    condition     = alltrue([for key in keys(var.additional_kinesis_sources) : can(regex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", key)) && key != "trigger"])
    error_message = "additional_kinesis_sources keys must be lower_snake names (they name the role's statements), and not \"trigger\"."
  }

  validation {
    condition     = alltrue([for source in values(var.additional_kinesis_sources) : contains(["TRIM_HORIZON", "LATEST"], source.starting_position)])
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "create_trigger" {
  description = "Create the event source mapping. The local stack run by `sluice local up` leaves it to the local runtime (the emulator would try to run the images itself)."
  type        = bool
  default     = true
}

variable "vpc_subnet_ids" {
  description = "Subnets when the function must reach private resources (the warehouse); null: no VPC."
  type        = list(string)
  default     = null
}

variable "vpc_security_group_ids" {
  description = "Security groups with vpc_subnet_ids."
  type        = list(string)
  default     = []
}

variable "tracing" {
  description = "X-Ray active tracing (Active; false: PassThrough). Sampled traces are billed per trace recorded: `sluice cost` prices them when on."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "The stage's application log level (AWS_LAMBDA_LOG_LEVEL). At most INFO: Lambda files the EMF metric lines, which carry no level, at INFO, so a WARN or ERROR filter would drop the stage's metrics and blind its alarms."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO"], var.log_level)
    error_message = "log_level must be TRACE, DEBUG or INFO (above INFO, Lambda drops the EMF metric lines the alarms read)."
  }
}

variable "system_log_level" {
  description = "The level of Lambda's own platform lines (DEBUG, INFO or WARN). The START, END and REPORT lines of each invocation are INFO: WARN keeps them out of the logs (Duration, Errors and Throttles still come from the function's CloudWatch metrics) and loses the per-invocation REPORT figures (init duration, max memory used)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN (Lambda's system log levels)."
  }
}

variable "log_retention_days" {
  description = "Log retention."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "Key for the log group (null: CloudWatch's default encryption)."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify (null: alarms without actions)."
  type        = string
  default     = null
}

variable "error_alarm_threshold" {
  description = "Errors in 5 minutes that raise the alarm."
  type        = number
  default     = 5
}

variable "iterator_age_alarm_ms" {
  description = "Iterator age that raises the alarm: how far behind the stream is too far."
  type        = number
  default     = 300000
}

variable "metrics_stage" {
  description = "The Stage dimension of the stage's own metrics (Sluice namespace, EMF), for the configuration-error alarm; null: no such alarm."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
